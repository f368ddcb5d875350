package org.pbxagent.agent.ami;

import java.util.Objects;
import org.pbxagent.agent.config.ConfigSource;

/**
 * The {@code ami.*} configuration. Validated at construction; the exception names the bad key.
 *
 * @param host             manager address (normally 127.0.0.1)
 * @param port             manager port (5038)
 * @param username         manager user from manager.conf (needs read = system and write = command)
 * @param secret           its secret; never logged, masked in {@link #toString()}
 * @param connectTimeoutMs TCP connect and banner deadline
 * @param pollIntervalMs   a short session (login, counts, logoff) starts this often
 * @param replyTimeoutMs   deadline of each answer in a session; none within it means a hung Asterisk
 * @param maxLineLength    longer lines are discarded as garbage
 */
public record AmiSettings(
        String host,
        int port,
        String username,
        String secret,
        int connectTimeoutMs,
        int pollIntervalMs,
        int replyTimeoutMs,
        int maxLineLength) {

    public AmiSettings {
        require(host != null && !host.isBlank(), "ami.host", "must not be empty");
        require(port > 0 && port < 65536, "ami.port", "must be 1..65535, was " + port);
        require(username != null && !username.isBlank(), "ami.username", "must not be empty");
        require(secret != null && !secret.isEmpty(), "ami.secret", "must not be empty");
        require(!containsLineEnd(username), "ami.username", "must not contain a line end");
        require(!containsLineEnd(secret), "ami.secret", "must not contain a line end");
        require(
                connectTimeoutMs >= 100 && connectTimeoutMs <= 60_000,
                "ami.connect-timeout-ms",
                "must be 100..60000, was " + connectTimeoutMs);
        require(
                pollIntervalMs >= 50 && pollIntervalMs <= 60_000,
                "ami.poll-interval-ms",
                "must be 50..60000, was " + pollIntervalMs);
        require(
                replyTimeoutMs >= 50 && replyTimeoutMs <= 60_000,
                "ami.reply-timeout-ms",
                "must be 50..60000, was " + replyTimeoutMs);
        require(
                maxLineLength >= 256 && maxLineLength <= 1 << 20,
                "ami.max-line-length",
                "must be 256..1048576, was " + maxLineLength);
    }

    /**
     * Reads {@code ami.*}. Returns null when {@code ami.enabled} is false (the default, so that a node without an
     * Asterisk to watch needs no AMI credentials); every key is still read, so a typo is reported either way.
     */
    public static AmiSettings read(ConfigSource s) {
        boolean enabled = s.bool("enabled", false);
        String host = s.host("host", "127.0.0.1");
        int port = s.port("port", 5038, false);
        String username =
                enabled ? s.requiredString("username", "the manager.conf user name") : s.string("username", "");
        org.pbxagent.agent.config.Secret secret = s.secret("secret", enabled, 1);
        int connect = (int) s.millis("connect-timeout-ms", 2000, 100, 60_000).toMillis();
        int poll = (int) s.millis("poll-interval-ms", 500, 50, 60_000).toMillis();
        int reply = (int) s.millis("reply-timeout-ms", 2000, 50, 60_000).toMillis();
        int maxLine = s.intRange("max-line-length", 16 * 1024, 256, 1 << 20);
        if (!enabled || username.isBlank() || secret.isEmpty()) {
            return null; // disabled, or the missing value is already reported
        }
        return new AmiSettings(host, port, username, secret.reveal(), connect, poll, reply, maxLine);
    }

    /** Defaults for everything but address and credentials. */
    public static AmiSettings defaults(String host, int port, String username, String secret) {
        return new AmiSettings(host, port, username, secret, 2000, 500, 2000, 16 * 1024);
    }

    public AmiSettings withTimings(int pollIntervalMs, int replyTimeoutMs) {
        return new AmiSettings(
                host, port, username, secret, connectTimeoutMs, pollIntervalMs, replyTimeoutMs, maxLineLength);
    }

    private static boolean containsLineEnd(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
    }

    private static void require(boolean ok, String key, String why) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + why);
        }
    }

    @Override
    public String toString() {
        // The keys' own names, as check-config prints every section.
        return "ami: host=" + host + " port=" + port + " username=" + username + " secret=******"
                + " connect-timeout=" + connectTimeoutMs + "ms poll-interval=" + pollIntervalMs
                + "ms reply-timeout=" + replyTimeoutMs + "ms max-line-length=" + maxLineLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AmiSettings s && s.toString().equals(toString()) && Objects.equals(s.secret, secret);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
