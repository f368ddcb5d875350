package org.pbxagent.agent.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;

/**
 * Where a running agent answers, read from its configuration file for the commands that talk to it (status, drain,
 * undrain). Only {@code http.bind}, {@code http.port}, {@code http.tls.*} and, when asked, {@code http.read-token}
 * or {@code http.admin-token} are read: a command that only needs the port must work for an operator who cannot
 * read the DB password's file.
 */
final class AgentEndpoint {
    static final URI DEFAULT_URL = URI.create("http://127.0.0.1:8088");
    static final Path DEFAULT_CONFIG = Path.of("/etc/pbx-agent/pbx-agent.properties");
    static final Path DEFAULT_TOKEN_FILE = Path.of("/etc/pbx-agent/admin.token");

    private AgentEndpoint() {}

    /** The base URL of the agent configured in {@code file}; a loopback address where it listens on all. */
    static URI url(Path file) {
        Map<String, String> v = AgentConfig.readFile(file);
        String bind = v.getOrDefault("http.bind", "127.0.0.1").strip();
        String portText = v.getOrDefault("http.port", "8088").strip();
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(List.of("http.port: expected a port 1..65535, got '" + portText + "'"));
        }
        if (bind.isEmpty() || !bind.matches("[0-9A-Fa-f:.]+")) {
            throw new ConfigException(List.of("http.bind: expected an IP address, got '" + bind + "'"));
        }
        String host = "0.0.0.0".equals(bind)
                ? "127.0.0.1"
                : "::".equals(bind) ? "[::1]" : bind.indexOf(':') >= 0 ? "[" + bind + "]" : bind;
        return URI.create((tlsKeystore(v) != null ? "https://" : "http://") + host + ":" + port);
    }

    /**
     * TLS trusting exactly the certificates of the agent's own key store ({@code http.tls.keystore}), or null when
     * the agent speaks plain HTTP.
     */
    static SSLContext tls(Path file) throws IOException, GeneralSecurityException {
        Map<String, String> v = AgentConfig.readFile(file);
        Path keystore = tlsKeystore(v);
        if (keystore == null) {
            return null;
        }
        String password = secret(v, "http.tls.keystore-password");
        return AgentTls.trusting(keystore, password == null ? "" : password);
    }

    /** The read token for /status: {@code tokenFile} when given, else {@code http.read-token}; null when none. */
    static String readToken(Path tokenFile, Path config) throws IOException {
        if (tokenFile != null) {
            return firstLine(tokenFile);
        }
        return config == null ? null : secret(AgentConfig.readFile(config), "http.read-token");
    }

    private static Path tlsKeystore(Map<String, String> v) {
        String k = v.get("http.tls.keystore");
        return k == null || k.isBlank() ? null : Path.of(k.strip());
    }

    /** A secret written inline or as {@code file:/path} (first line), as the daemon reads it; null when unset. */
    private static String secret(Map<String, String> v, String key) throws IOException {
        String s = v.get(key);
        if (s == null || s.isBlank()) {
            return null;
        }
        return s.strip().startsWith("file:") ? firstLine(Path.of(s.strip().substring(5))) : s.strip();
    }

    /**
     * The admin token: from {@code tokenFile} when given, else {@code http.admin-token} of {@code config} (inline or
     * {@code file:/path}), else {@link #DEFAULT_TOKEN_FILE}. The first line of a file, stripped.
     */
    static String token(Path tokenFile, Path config) throws IOException {
        if (tokenFile != null) {
            return firstLine(tokenFile);
        }
        if (config != null) {
            String v = secret(AgentConfig.readFile(config), "http.admin-token");
            if (v != null) {
                return v;
            }
        }
        return firstLine(DEFAULT_TOKEN_FILE);
    }

    private static String firstLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String token = lines.isEmpty() ? "" : lines.get(0).strip();
        if (token.isEmpty()) {
            throw new IOException("the token file " + file + " is empty");
        }
        return token;
    }
}
