package org.pbxagent.fastagi.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Settings of the FastAGI server, immutable. Names in {@link #validate()} errors and in {@link #fromProperties} are the
 * configuration keys ({@code fastagi.bind}, {@code fastagi.port}, ...).
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

    private final String bindAddress;
    private final int port;
    private final List<String> allow;
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
    public static FastAgiServerSettings defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

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
        String v;
        if ((v = props.get(KEY_BIND)) != null) b.bindAddress(v.trim());
        if ((v = props.get(KEY_PORT)) != null) b.port(intValue(KEY_PORT, v));
        if ((v = props.get(KEY_ALLOW)) != null) {
            List<String> blocks = new ArrayList<>();
            for (String s : v.split(",")) {
                if (!s.isBlank()) blocks.add(s.trim());
            }
            b.allow(blocks);
        }
        if ((v = props.get(KEY_MAX_SESSIONS)) != null) b.maxSessions(intValue(KEY_MAX_SESSIONS, v));
        if ((v = props.get(KEY_ENVIRONMENT_TIMEOUT)) != null) {
            b.environmentTimeout(Duration.ofMillis(intValue(KEY_ENVIRONMENT_TIMEOUT, v)));
        }
        if ((v = props.get(KEY_REPLY_TIMEOUT)) != null) b.replyTimeout(Duration.ofMillis(intValue(KEY_REPLY_TIMEOUT, v)));
        if ((v = props.get(KEY_MAX_LINE_LENGTH)) != null) b.maxLineLength(intValue(KEY_MAX_LINE_LENGTH, v));
        if ((v = props.get(KEY_MAX_ENVIRONMENT_LINES)) != null) {
            b.maxEnvironmentLines(intValue(KEY_MAX_ENVIRONMENT_LINES, v));
        }
        if ((v = props.get(KEY_SELECTOR_THREADS)) != null) b.selectorThreads(intValue(KEY_SELECTOR_THREADS, v));
        FastAgiServerSettings s = b.build();
        s.validate();
        return s;
    }

    private static int intValue(String key, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a whole number: '" + v + "'");
        }
    }

    /**
     * Checks every value.
     *
     * @throws IllegalArgumentException whose message starts with the configuration key of the first bad value
     */
    public FastAgiServerSettings validate() {
        if (bindAddress == null || bindAddress.isBlank()) throw new IllegalArgumentException(KEY_BIND + ": must be set");
        try {
            // Literal addresses only: binding must not depend on name resolution at start.
            if (!(bindAddress.indexOf(':') >= 0 || bindAddress.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')))) {
                throw new UnknownHostException(bindAddress);
            }
            InetAddress.getByName(bindAddress);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(KEY_BIND + ": not an IP address: '" + bindAddress + "'");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException(KEY_PORT + ": must be 0..65535, got " + port);
        if (allow == null || allow.isEmpty()) {
            throw new IllegalArgumentException(KEY_ALLOW + ": must name at least one address block");
        }
        for (String a : allow) {
            try {
                CidrBlock.parse(a);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(KEY_ALLOW + ": " + e.getMessage());
            }
        }
        if (maxSessions < 1 || maxSessions > 1_000_000) {
            throw new IllegalArgumentException(KEY_MAX_SESSIONS + ": must be 1..1000000, got " + maxSessions);
        }
        checkTimeout(KEY_ENVIRONMENT_TIMEOUT, environmentTimeout);
        checkTimeout(KEY_REPLY_TIMEOUT, replyTimeout);
        if (maxLineLength < 256 || maxLineLength > 1 << 20) {
            throw new IllegalArgumentException(KEY_MAX_LINE_LENGTH + ": must be 256..1048576, got " + maxLineLength);
        }
        if (maxEnvironmentLines < 8 || maxEnvironmentLines > 10_000) {
            throw new IllegalArgumentException(KEY_MAX_ENVIRONMENT_LINES + ": must be 8..10000, got " + maxEnvironmentLines);
        }
        if (selectorThreads < 1 || selectorThreads > 64) {
            throw new IllegalArgumentException(KEY_SELECTOR_THREADS + ": must be 1..64, got " + selectorThreads);
        }
        return this;
    }

    private static void checkTimeout(String key, Duration d) {
        if (d == null || d.toMillis() < 1 || d.toMillis() > 3_600_000) {
            throw new IllegalArgumentException(key + ": must be 1..3600000 ms, got " + (d == null ? null : d.toMillis()));
        }
    }

    public String bindAddress() { return bindAddress; }
    public int port() { return port; }
    public List<String> allow() { return allow; }
    public int maxSessions() { return maxSessions; }
    public Duration environmentTimeout() { return environmentTimeout; }
    public Duration replyTimeout() { return replyTimeout; }
    public int maxLineLength() { return maxLineLength; }
    public int maxEnvironmentLines() { return maxEnvironmentLines; }
    public int selectorThreads() { return selectorThreads; }

    public FastAgiServerSettings withBindAddress(String v) { return toBuilder().bindAddress(v).build(); }
    public FastAgiServerSettings withPort(int v) { return toBuilder().port(v).build(); }
    public FastAgiServerSettings withAllow(List<String> v) { return toBuilder().allow(v).build(); }
    public FastAgiServerSettings withMaxSessions(int v) { return toBuilder().maxSessions(v).build(); }
    public FastAgiServerSettings withEnvironmentTimeout(Duration v) { return toBuilder().environmentTimeout(v).build(); }
    public FastAgiServerSettings withReplyTimeout(Duration v) { return toBuilder().replyTimeout(v).build(); }
    public FastAgiServerSettings withMaxLineLength(int v) { return toBuilder().maxLineLength(v).build(); }
    public FastAgiServerSettings withMaxEnvironmentLines(int v) { return toBuilder().maxEnvironmentLines(v).build(); }
    public FastAgiServerSettings withSelectorThreads(int v) { return toBuilder().selectorThreads(v).build(); }

    @Override
    public String toString() {
        return KEY_BIND + "=" + bindAddress + " " + KEY_PORT + "=" + port + " " + KEY_ALLOW + "=" + allow + " "
                + KEY_MAX_SESSIONS + "=" + maxSessions + " " + KEY_ENVIRONMENT_TIMEOUT + "=" + environmentTimeout.toMillis()
                + " " + KEY_REPLY_TIMEOUT + "=" + replyTimeout.toMillis() + " " + KEY_MAX_LINE_LENGTH + "=" + maxLineLength
                + " " + KEY_MAX_ENVIRONMENT_LINES + "=" + maxEnvironmentLines + " " + KEY_SELECTOR_THREADS + "="
                + selectorThreads;
    }

    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int port = 4573;
        private List<String> allow = List.of("127.0.0.0/8", "::1");
        private int maxSessions = 10_000;
        private Duration environmentTimeout = Duration.ofSeconds(2);
        private Duration replyTimeout = Duration.ofSeconds(5);
        private int maxLineLength = 8192;
        private int maxEnvironmentLines = 200;
        private int selectorThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

        private Builder() {}

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder allow(List<String> v) { allow = v; return this; }
        public Builder maxSessions(int v) { maxSessions = v; return this; }
        public Builder environmentTimeout(Duration v) { environmentTimeout = v; return this; }
        public Builder replyTimeout(Duration v) { replyTimeout = v; return this; }
        public Builder maxLineLength(int v) { maxLineLength = v; return this; }
        public Builder maxEnvironmentLines(int v) { maxEnvironmentLines = v; return this; }
        public Builder selectorThreads(int v) { selectorThreads = v; return this; }

        public FastAgiServerSettings build() { return new FastAgiServerSettings(this); }
    }
}
