package org.pbxagent.fastagi.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pbxagent.fastagi.protocol.AgiText;

/**
 * Settings of the FastAGI server, immutable, and the one owner of the {@code fastagi.*} server keys: their defaults
 * (the {@link Builder}'s), their syntax ({@link Builder#set}) and their bounds ({@link #validate()}). Every error
 * message starts with the configuration key ({@code fastagi.bind: ...}), so a reader of a configuration file can pass
 * it on as it is.
 */
public final class FastAgiServerSettings {
    public static final String KEY_BIND = "fastagi.bind";
    public static final String KEY_PORT = "fastagi.port";
    public static final String KEY_ALLOW = "fastagi.allow";
    public static final String KEY_MAX_SESSIONS = "fastagi.max-sessions";
    public static final String KEY_ENVIRONMENT_TIMEOUT = "fastagi.environment-timeout-ms";
    public static final String KEY_REPLY_TIMEOUT = "fastagi.reply-timeout-ms";
    public static final String KEY_MAX_LINE_LENGTH = "fastagi.max-line-length";
    public static final String KEY_MAX_ENVIRONMENT_LINES = "fastagi.max-environment-lines";
    public static final String KEY_SELECTOR_THREADS = "fastagi.selector-threads";
    /** Every key {@link Builder#set} and {@link #fromProperties} take. */
    public static final List<String> KEYS = List.of(
            KEY_BIND,
            KEY_PORT,
            KEY_ALLOW,
            KEY_MAX_SESSIONS,
            KEY_ENVIRONMENT_TIMEOUT,
            KEY_REPLY_TIMEOUT,
            KEY_MAX_LINE_LENGTH,
            KEY_MAX_ENVIRONMENT_LINES,
            KEY_SELECTOR_THREADS);

    // The bounds of each value; the defaults are the Builder's.
    private static final int MIN_PORT = 0; // 0: any free port, for tests
    private static final int MAX_PORT = 65535;
    private static final int MIN_SESSIONS = 1;
    private static final int MAX_SESSIONS = 1_000_000;
    private static final long MIN_TIMEOUT_MS = 1;
    private static final long MAX_TIMEOUT_MS = 3_600_000;
    private static final int MIN_LINE_LENGTH = 256;
    private static final int MAX_LINE_LENGTH = 1 << 20;
    private static final int MIN_ENVIRONMENT_LINES = 8;
    private static final int MAX_ENVIRONMENT_LINES = 10_000;
    private static final int MIN_SELECTOR_THREADS = 1;
    private static final int MAX_SELECTOR_THREADS = 64;
    private static final String NO_BLOCK = "expected at least one address block";

    private final String bindAddress;
    private final int port;
    private final List<CidrBlock> allow;
    private final int maxSessions;
    private final Duration environmentTimeout;
    private final Duration replyTimeout;
    private final int maxLineLength;
    private final int maxEnvironmentLines;
    private final int selectorThreads;

    private FastAgiServerSettings(Builder b) {
        this.bindAddress = b.bindAddress;
        this.port = b.port;
        this.allow = b.allow == null ? null : List.copyOf(b.allow);
        this.maxSessions = b.maxSessions;
        this.environmentTimeout = b.environmentTimeout;
        this.replyTimeout = b.replyTimeout;
        this.maxLineLength = b.maxLineLength;
        this.maxEnvironmentLines = b.maxEnvironmentLines;
        this.selectorThreads = b.selectorThreads;
    }

    /**
     * 127.0.0.1:4573, loopback only, 10,000 sessions, 2 s for the environment block (Asterisk sends it at once),
     * 5 s per reply, lines up to 8 KiB, 200 environment lines, one selector thread per two cores.
     */
    public static FastAgiServerSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bindAddress = bindAddress;
        b.port = port;
        b.allow = allow;
        b.maxSessions = maxSessions;
        b.environmentTimeout = environmentTimeout;
        b.replyTimeout = replyTimeout;
        b.maxLineLength = maxLineLength;
        b.maxEnvironmentLines = maxEnvironmentLines;
        b.selectorThreads = selectorThreads;
        return b;
    }

    /**
     * Settings from configuration keys (missing keys keep their defaults); {@code fastagi.allow} is a comma-separated
     * list of CIDR blocks. Validated.
     *
     * @throws IllegalArgumentException naming the key whose value is bad
     */
    public static FastAgiServerSettings fromProperties(Map<String, String> props) {
        Builder b = builder();
        for (String key : KEYS) {
            String v = props.get(key);
            if (v != null) {
                b.set(key, v);
            }
        }
        return b.build().validate();
    }

    /**
     * Checks every value, with the same rules and messages as {@link Builder#set}.
     *
     * @throws IllegalArgumentException whose message starts with the configuration key of the first bad value
     */
    public FastAgiServerSettings validate() {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException(KEY_BIND + ": must be set");
        }
        checkBind(bindAddress);
        checkInt(KEY_PORT, port, MIN_PORT, MAX_PORT);
        if (allow == null || allow.isEmpty()) {
            throw new IllegalArgumentException(KEY_ALLOW + ": " + NO_BLOCK);
        }
        checkInt(KEY_MAX_SESSIONS, maxSessions, MIN_SESSIONS, MAX_SESSIONS);
        checkTimeout(KEY_ENVIRONMENT_TIMEOUT, environmentTimeout);
        checkTimeout(KEY_REPLY_TIMEOUT, replyTimeout);
        checkInt(KEY_MAX_LINE_LENGTH, maxLineLength, MIN_LINE_LENGTH, MAX_LINE_LENGTH);
        checkInt(KEY_MAX_ENVIRONMENT_LINES, maxEnvironmentLines, MIN_ENVIRONMENT_LINES, MAX_ENVIRONMENT_LINES);
        checkInt(KEY_SELECTOR_THREADS, selectorThreads, MIN_SELECTOR_THREADS, MAX_SELECTOR_THREADS);
        return this;
    }

    // Literal addresses only: binding must not depend on name resolution at start.
    private static String checkBind(String v) {
        if (!IpAddresses.isLiteral(v)) {
            throw bad(KEY_BIND, "an IP address such as 127.0.0.1 or 0.0.0.0", v);
        }
        return v;
    }

    private static void checkInt(String key, int n, int min, int max) {
        if (n < min || n > max) {
            throw bad(key, "an integer " + min + ".." + max, String.valueOf(n));
        }
    }

    private static void checkTimeout(String key, Duration d) {
        if (d == null || d.toMillis() < MIN_TIMEOUT_MS || d.toMillis() > MAX_TIMEOUT_MS) {
            throw bad(
                    key,
                    "milliseconds " + MIN_TIMEOUT_MS + ".." + MAX_TIMEOUT_MS,
                    d == null ? "nothing" : String.valueOf(d.toMillis()));
        }
    }

    private static int intValue(String key, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(key, "an integer " + min + ".." + max, v);
    }

    private static Duration millisValue(String key, String v) {
        try {
            long n = Long.parseLong(v.replace("_", ""));
            if (n >= MIN_TIMEOUT_MS && n <= MAX_TIMEOUT_MS) {
                return Duration.ofMillis(n);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(key, "milliseconds " + MIN_TIMEOUT_MS + ".." + MAX_TIMEOUT_MS, v);
    }

    /** Every block of the list, or one message naming each bad one. */
    private static List<CidrBlock> allowValue(String v) {
        List<CidrBlock> blocks = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (String item : v.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            try {
                blocks.add(CidrBlock.parse(item));
            } catch (IllegalArgumentException e) {
                bad.add("expected IP networks in CIDR notation, comma-separated (" + e.getMessage() + "), got '"
                        + shown(item.trim()) + "'");
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(KEY_ALLOW + ": " + String.join("; ", bad));
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException(KEY_ALLOW + ": " + NO_BLOCK);
        }
        return blocks;
    }

    private static IllegalArgumentException bad(String key, String expected, String value) {
        return new IllegalArgumentException(key + ": expected " + expected + ", got '" + shown(value) + "'");
    }

    private static String shown(String value) {
        return AgiText.printable(value, 80);
    }

    public String bindAddress() {
        return bindAddress;
    }

    public int port() {
        return port;
    }

    public List<CidrBlock> allow() {
        return allow;
    }

    public int maxSessions() {
        return maxSessions;
    }

    public Duration environmentTimeout() {
        return environmentTimeout;
    }

    public Duration replyTimeout() {
        return replyTimeout;
    }

    public int maxLineLength() {
        return maxLineLength;
    }

    public int maxEnvironmentLines() {
        return maxEnvironmentLines;
    }

    public int selectorThreads() {
        return selectorThreads;
    }

    public FastAgiServerSettings withBindAddress(String v) {
        return toBuilder().bindAddress(v).build();
    }

    public FastAgiServerSettings withPort(int v) {
        return toBuilder().port(v).build();
    }

    public FastAgiServerSettings withAllow(List<CidrBlock> v) {
        return toBuilder().allow(v).build();
    }

    public FastAgiServerSettings withMaxSessions(int v) {
        return toBuilder().maxSessions(v).build();
    }

    public FastAgiServerSettings withEnvironmentTimeout(Duration v) {
        return toBuilder().environmentTimeout(v).build();
    }

    public FastAgiServerSettings withReplyTimeout(Duration v) {
        return toBuilder().replyTimeout(v).build();
    }

    public FastAgiServerSettings withMaxLineLength(int v) {
        return toBuilder().maxLineLength(v).build();
    }

    public FastAgiServerSettings withMaxEnvironmentLines(int v) {
        return toBuilder().maxEnvironmentLines(v).build();
    }

    public FastAgiServerSettings withSelectorThreads(int v) {
        return toBuilder().selectorThreads(v).build();
    }

    @Override
    public String toString() {
        return KEY_BIND + "=" + bindAddress + " " + KEY_PORT + "=" + port + " " + KEY_ALLOW + "=" + allow + " "
                + KEY_MAX_SESSIONS + "=" + maxSessions + " " + KEY_ENVIRONMENT_TIMEOUT + "="
                + environmentTimeout.toMillis()
                + " " + KEY_REPLY_TIMEOUT + "=" + replyTimeout.toMillis() + " " + KEY_MAX_LINE_LENGTH + "="
                + maxLineLength
                + " " + KEY_MAX_ENVIRONMENT_LINES + "=" + maxEnvironmentLines + " " + KEY_SELECTOR_THREADS + "="
                + selectorThreads;
    }

    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int port = 4573;
        private List<CidrBlock> allow = List.of(CidrBlock.parse("127.0.0.0/8"), CidrBlock.parse("::1"));
        private int maxSessions = 10_000;
        private Duration environmentTimeout = Duration.ofSeconds(2);
        private Duration replyTimeout = Duration.ofSeconds(5);
        private int maxLineLength = 8192;
        private int maxEnvironmentLines = 200;
        // One per two cores: the selectors only move bytes, decisions come from the in-memory snapshot.
        private int selectorThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

        private Builder() {}

        public Builder bindAddress(String v) {
            bindAddress = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder allow(List<CidrBlock> v) {
            allow = v;
            return this;
        }

        public Builder maxSessions(int v) {
            maxSessions = v;
            return this;
        }

        public Builder environmentTimeout(Duration v) {
            environmentTimeout = v;
            return this;
        }

        public Builder replyTimeout(Duration v) {
            replyTimeout = v;
            return this;
        }

        public Builder maxLineLength(int v) {
            maxLineLength = v;
            return this;
        }

        public Builder maxEnvironmentLines(int v) {
            maxEnvironmentLines = v;
            return this;
        }

        public Builder selectorThreads(int v) {
            selectorThreads = v;
            return this;
        }

        /**
         * Sets one value from its configuration text (trimmed), checked at once, so that a reader can report every bad
         * key of a file rather than the first.
         *
         * @param key one of {@link #KEYS}
         * @throws IllegalArgumentException whose message starts with the key
         */
        public Builder set(String key, String value) {
            String v = value.trim();
            switch (key) {
                case KEY_BIND -> bindAddress(checkBind(v));
                case KEY_PORT -> port(intValue(key, v, MIN_PORT, MAX_PORT));
                case KEY_ALLOW -> allow(allowValue(v));
                case KEY_MAX_SESSIONS -> maxSessions(intValue(key, v, MIN_SESSIONS, MAX_SESSIONS));
                case KEY_ENVIRONMENT_TIMEOUT -> environmentTimeout(millisValue(key, v));
                case KEY_REPLY_TIMEOUT -> replyTimeout(millisValue(key, v));
                case KEY_MAX_LINE_LENGTH -> maxLineLength(intValue(key, v, MIN_LINE_LENGTH, MAX_LINE_LENGTH));
                case KEY_MAX_ENVIRONMENT_LINES ->
                    maxEnvironmentLines(intValue(key, v, MIN_ENVIRONMENT_LINES, MAX_ENVIRONMENT_LINES));
                case KEY_SELECTOR_THREADS ->
                    selectorThreads(intValue(key, v, MIN_SELECTOR_THREADS, MAX_SELECTOR_THREADS));
                default -> throw new IllegalArgumentException(key + ": not a FastAGI server key");
            }
            return this;
        }

        public FastAgiServerSettings build() {
            return new FastAgiServerSettings(this);
        }
    }
}
