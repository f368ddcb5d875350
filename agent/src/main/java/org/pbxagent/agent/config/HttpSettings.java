package org.pbxagent.agent.config;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;

/**
 * {@code http.*}: status, metrics and admin endpoints.
 *
 * @param enabled          false turns the HTTP server off (the OCF agents then cannot ask /health)
 * @param bind             listen address; keep it on loopback or a management network
 * @param port             listen port (0 = any free port, for tests)
 * @param adminToken       bearer token for POST /drain and /undrain (masked)
 * @param idleTimeout      a connection idle this long is closed
 * @param maxThreads       Jetty worker threads
 * @param tlsKeystore      PKCS12 (or JKS) key store with the agent's key and certificate: HTTPS only; null = HTTP
 * @param tlsKeystorePassword its password (masked)
 * @param allowPlaintext   true allows plain HTTP on a non-loopback bind (tokens and status then cross in clear)
 * @param readToken        when set, GET /status, /metrics and / need it (or the admin token); empty = open
 */
public record HttpSettings(
        boolean enabled,
        String bind,
        int port,
        Secret adminToken,
        Duration idleTimeout,
        int maxThreads,
        Path tlsKeystore,
        Secret tlsKeystorePassword,
        boolean allowPlaintext,
        Secret readToken) {

    public static HttpSettings read(ConfigSource s) {
        boolean enabled = s.bool("enabled", true);
        String bind = s.ipAddress("bind", "127.0.0.1");
        int port = s.port("port", 8088, true);
        Secret token = s.secret("admin-token", enabled, 16);
        Duration idle = s.millis("idle-timeout-ms", 10_000, 500, 600_000);
        int threads = s.intRange("max-threads", 16, 4, 500);
        Path keystore = s.path("tls.keystore", null);
        Secret keystorePassword = s.secret("tls.keystore-password", keystore != null, 1);
        boolean plaintext = s.bool("allow-plaintext", false);
        Secret readToken = s.secret("read-token", false, 16);
        if (enabled && keystore == null && !plaintext && !loopback(bind)) {
            s.problem(
                    "bind",
                    bind + " is reachable beyond this host: set http.tls.keystore (HTTPS), or say "
                            + "http.allow-plaintext = true to send the tokens and /status in clear");
        }
        if (keystore != null) {
            String why = unusable(keystore, keystorePassword);
            if (why != null) {
                s.problem("tls.keystore", why);
            }
        }
        if (!readToken.isEmpty() && readToken.equals(token)) {
            s.problem("read-token", "must differ from http.admin-token (a reader must not be able to drain)");
        }
        return new HttpSettings(
                enabled, bind, port, token, idle, threads, keystore, keystorePassword, plaintext, readToken);
    }

    public boolean tls() {
        return tlsKeystore != null;
    }

    static boolean loopback(String ip) {
        try {
            return InetAddress.getByName(ip).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Null when the key store opens with its password and holds a private key; else why not (no secret in it). */
    private static String unusable(Path keystore, Secret password) {
        if (!Files.isReadable(keystore)) {
            return "cannot read key store " + keystore;
        }
        Exception last = null;
        for (String type : new String[] {"PKCS12", "JKS"}) {
            try (InputStream in = Files.newInputStream(keystore)) {
                KeyStore ks = KeyStore.getInstance(type);
                ks.load(in, password.reveal().toCharArray());
                for (String alias : java.util.Collections.list(ks.aliases())) {
                    if (ks.isKeyEntry(alias)) {
                        return null;
                    }
                }
                return "key store " + keystore + " holds no private key (it needs the agent's key and certificate)";
            } catch (Exception e) {
                last = e;
            }
        }
        return "cannot open key store " + keystore + " as PKCS12 or JKS (wrong http.tls.keystore-password?): "
                + last.getClass().getSimpleName();
    }

    @Override
    public String toString() {
        return "http: enabled=" + enabled + " bind=" + bind + " port=" + port + " admin-token=" + adminToken
                + " idle-timeout=" + idleTimeout.toMillis() + "ms max-threads=" + maxThreads
                + " tls=" + (tlsKeystore == null ? "off" : tlsKeystore) + " allow-plaintext=" + allowPlaintext
                + " read-token=" + (readToken.isEmpty() ? "-" : readToken);
    }
}
