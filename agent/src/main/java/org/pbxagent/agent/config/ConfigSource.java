package org.pbxagent.agent.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.pbxagent.fastagi.protocol.AgiText;
import org.pbxagent.fastagi.server.CidrBlock;
import org.pbxagent.fastagi.server.IpAddresses;

/**
 * Typed, validating reads of configuration values for one section ({@code db.}, {@code http.}, ...).
 *
 * <p>A read never throws: a bad or missing value is recorded as a problem naming the full key and what is expected,
 * and a harmless fallback is returned so the section can go on reading. {@link AgentConfig} fails at the end with
 * every problem at once, and also reports every key that no section read (a typo must not be silently ignored).
 * All views made by {@link #section(String)} share one set of values, read keys and problems.
 */
public final class ConfigSource {
    private final Shared shared;
    private final String prefix;

    private ConfigSource(Shared shared, String prefix) {
        this.shared = shared;
        this.prefix = prefix;
    }

    /** A source over these values (keys are full names such as {@code db.url}); blank values count as unset. */
    public static ConfigSource of(Map<String, String> values) {
        return new ConfigSource(new Shared(values), "");
    }

    /** The view for one section: {@code section("db").string("url", ...)} reads {@code db.url}. */
    public ConfigSource section(String name) {
        return new ConfigSource(shared, prefix + name + ".");
    }

    /** Full key name for a key of this section, e.g. for messages. */
    public String key(String relative) {
        return prefix + relative;
    }

    /** Records a problem that is not about one value's syntax (a cross-field rule). */
    public void problem(String relativeKey, String message) {
        shared.problems.add(key(relativeKey) + ": " + message);
    }

    public boolean isSet(String relative) {
        String v = shared.values.get(key(relative));
        return v != null && !v.isBlank();
    }

    /**
     * Names directly below a prefix of this section, for keyed groups such as {@code kamailio.proxy.<name>.url}:
     * {@code names("proxy")} returns every {@code <name>}. Does not mark anything as read.
     */
    public Set<String> names(String relativePrefix) {
        String p = key(relativePrefix) + ".";
        Set<String> out = new TreeSet<>();
        for (String k : shared.values.keySet()) {
            if (k.startsWith(p)) {
                String rest = k.substring(p.length());
                int dot = rest.indexOf('.');
                out.add(dot < 0 ? rest : rest.substring(0, dot));
            }
        }
        return out;
    }

    public String string(String relative, String fallback) {
        String v = raw(relative);
        return v == null ? fallback : v;
    }

    public String requiredString(String relative, String expected) {
        String v = raw(relative);
        if (v == null) {
            missing(relative, expected);
            return "";
        }
        return v;
    }

    public int intRange(String relative, int fallback, int min, int max) {
        String v = raw(relative);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        bad(relative, v, "an integer " + min + ".." + max);
        return fallback;
    }

    /** A duration written in milliseconds (keys end in {@code -ms}), within [minMs, maxMs]. */
    public Duration millis(String relative, long fallbackMs, long minMs, long maxMs) {
        String v = raw(relative);
        if (v == null) {
            return Duration.ofMillis(fallbackMs);
        }
        try {
            long n = Long.parseLong(v.replace("_", ""));
            if (n >= minMs && n <= maxMs) {
                return Duration.ofMillis(n);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        bad(relative, v, "milliseconds " + minMs + ".." + maxMs);
        return Duration.ofMillis(fallbackMs);
    }

    public boolean bool(String relative, boolean fallback) {
        String v = raw(relative);
        if (v == null) {
            return fallback;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> {
                return true;
            }
            case "false", "no", "off" -> {
                return false;
            }
            default -> {
                bad(relative, v, "true or false");
                return fallback;
            }
        }
    }

    /** A host name or IP literal, checked for syntax only (no DNS lookup at validation time). */
    public String host(String relative, String fallback) {
        String v = raw(relative);
        if (v == null) {
            return fallback;
        }
        if (!HostNames.isValidHost(v)) {
            bad(relative, v, "a host name or IP address");
            return fallback;
        }
        return v;
    }

    /** An IP address literal (a bind address must not depend on DNS). */
    public String ipAddress(String relative, String fallback) {
        String v = raw(relative);
        if (v == null) {
            return fallback;
        }
        if (!IpAddresses.isLiteral(v)) {
            bad(relative, v, "an IP address such as 127.0.0.1 or 0.0.0.0");
            return fallback;
        }
        return v;
    }

    public int port(String relative, int fallback, boolean allowZero) {
        return intRange(relative, fallback, allowZero ? 0 : 1, 65535);
    }

    /** Comma-separated networks such as {@code 127.0.0.0/8, 10.1.2.3}, parsed as the FastAGI allow list is. */
    public List<CidrBlock> cidrList(String relative, String fallback) {
        String v = raw(relative);
        String text = v == null ? fallback : v;
        List<CidrBlock> out = new ArrayList<>();
        for (String item : split(text)) {
            try {
                out.add(CidrBlock.parse(item));
            } catch (IllegalArgumentException e) {
                bad(relative, item, "IP networks in CIDR notation, comma-separated (" + e.getMessage() + ")");
            }
        }
        return List.copyOf(out);
    }

    /** Comma-separated absolute URLs whose scheme is one of {@code schemes}. */
    public List<URI> urlList(String relative, String fallback, String... schemes) {
        String v = raw(relative);
        String text = v == null ? fallback : v;
        List<URI> out = new ArrayList<>();
        for (String item : split(text)) {
            URI uri = parseUrl(relative, item, schemes);
            if (uri != null) {
                out.add(uri);
            }
        }
        return List.copyOf(out);
    }

    public URI url(String relative, String fallback, String... schemes) {
        String v = raw(relative);
        if (v == null) {
            return fallback == null ? null : URI.create(fallback);
        }
        return parseUrl(relative, v, schemes);
    }

    public Path path(String relative, String fallback) {
        String v = raw(relative);
        String text = v == null ? fallback : v;
        if (text == null) {
            return null;
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            bad(relative, text, "a file system path");
            return fallback == null ? null : Path.of(fallback);
        }
    }

    /** One of the given words, case-insensitive; returns it in lower case. */
    public String oneOf(String relative, String fallback, String... allowed) {
        String v = raw(relative);
        if (v == null) {
            return fallback;
        }
        for (String a : allowed) {
            if (a.equalsIgnoreCase(v)) {
                return a;
            }
        }
        bad(relative, v, "one of " + String.join(", ", allowed));
        return fallback;
    }

    /**
     * A secret. The value may be written inline or as {@code file:/path} (first line of that file), which keeps it
     * out of a file that is readable by more people. Never echoed in a problem message.
     */
    public Secret secret(String relative, boolean required, int minLength) {
        String v = raw(relative);
        if (v == null) {
            if (required) {
                missing(relative, "a secret of at least " + minLength + " characters");
            }
            return Secret.of("");
        }
        if (v.startsWith("file:")) {
            Path file;
            try {
                file = Path.of(v.substring(5));
            } catch (InvalidPathException e) {
                shared.problems.add(key(relative) + ": expected file:<path> to a readable file");
                return Secret.of("");
            }
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                v = lines.isEmpty() ? "" : lines.get(0).strip();
            } catch (IOException e) {
                shared.problems.add(key(relative) + ": cannot read secret file " + file + " ("
                        + e.getClass().getSimpleName() + ")");
                return Secret.of("");
            }
        }
        if (v.length() < minLength) {
            shared.problems.add(
                    key(relative) + ": expected a secret of at least " + minLength + " characters, got " + v.length());
        }
        if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            shared.problems.add(key(relative) + ": a secret must not contain a line end");
        }
        return Secret.of(v);
    }

    /** Problems so far (read-only view). */
    List<String> problems() {
        return Collections.unmodifiableList(shared.problems);
    }

    /** Every key some section asked for (set or not). */
    java.util.Set<String> readKeys() {
        return Collections.unmodifiableSet(shared.read);
    }

    /** Keys present in the values that no section has read. */
    List<String> unreadKeys() {
        List<String> out = new ArrayList<>();
        for (String k : shared.values.keySet()) {
            if (!shared.read.contains(k)) {
                out.add(k);
            }
        }
        Collections.sort(out);
        return out;
    }

    void addProblem(String message) {
        shared.problems.add(message);
    }

    private URI parseUrl(String relative, String item, String... schemes) {
        String expected = "an absolute " + String.join(" or ", schemes) + " URL";
        try {
            URI uri = new URI(item);
            if (uri.getScheme() == null || uri.getHost() == null) {
                bad(relative, item, expected);
                return null;
            }
            for (String s : schemes) {
                if (s.equalsIgnoreCase(uri.getScheme())) {
                    return uri;
                }
            }
            bad(relative, item, expected);
            return null;
        } catch (URISyntaxException e) {
            bad(relative, item, expected);
            return null;
        }
    }

    private String raw(String relative) {
        String k = key(relative);
        shared.read.add(k);
        String v = shared.values.get(k);
        if (v == null) {
            return null;
        }
        v = v.strip();
        return v.isEmpty() ? null : v;
    }

    private void missing(String relative, String expected) {
        shared.problems.add(key(relative) + ": required, expected " + expected);
    }

    private void bad(String relative, String value, String expected) {
        // shown as the FastAGI keys' own complaints show a value (first 80 characters, controls escaped)
        shared.problems.add(key(relative) + ": expected " + expected + ", got '" + AgiText.printable(value, 80) + "'");
    }

    private static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String s : text.split(",")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    private static final class Shared {
        final Map<String, String> values;
        final Set<String> read = new HashSet<>();
        final List<String> problems = new ArrayList<>();

        Shared(Map<String, String> values) {
            this.values = new LinkedHashMap<>(values);
        }
    }
}
