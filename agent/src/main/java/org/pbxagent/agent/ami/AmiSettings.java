package org.pbxagent.agent.ami;

import java.util.Objects;
import org.pbxagent.agent.config.ConfigSource;

/**
 * The {@code ami.*} configuration. Validated at construction; the exception names the bad key.
 *
 * @param host              manager address (normally 127.0.0.1)
 * @param port              manager port (5038)
 * @param username          manager user from manager.conf (needs read=system,call and write=system,command)
 * @param secret            its secret; never logged, masked in {@link #toString()}
 * @param connectTimeoutMs  TCP connect, banner and login reply deadline
 * @param pingIntervalMs    a Ping is sent this long after the previous reply
 * @param pingTimeoutMs     a Ping without reply this long marks Asterisk unavailable and reconnects
 * @param actionTimeoutMs   deadline for every other action (resync)
 * @param backoffInitialMs  first reconnect delay; doubles per failed attempt, with jitter
 * @param backoffMaxMs      reconnect delay ceiling
 * @param resyncIntervalMs  periodic resync of the counts from Asterisk, besides the one after every login
 * @param maxLineLength     longer lines are discarded as garbage
 */
public record AmiSettings(String host, int port, String username, String secret, int connectTimeoutMs,
                          int pingIntervalMs, int pingTimeoutMs, int actionTimeoutMs, int backoffInitialMs,
                          int backoffMaxMs, int resyncIntervalMs, int maxLineLength) {

    public AmiSettings {
        require(host != null && !host.isBlank(), "ami.host", "must not be empty");
        require(port > 0 && port < 65536, "ami.port", "must be 1..65535, was " + port);
        require(username != null && !username.isBlank(), "ami.username", "must not be empty");
        require(secret != null && !secret.isEmpty(), "ami.secret", "must not be empty");
        require(!containsLineEnd(username), "ami.username", "must not contain a line end");
        require(!containsLineEnd(secret), "ami.secret", "must not contain a line end");
        require(connectTimeoutMs >= 100 && connectTimeoutMs <= 60_000, "ami.connect-timeout-ms",
                "must be 100..60000, was " + connectTimeoutMs);
        require(pingIntervalMs >= 50 && pingIntervalMs <= 60_000, "ami.ping-interval-ms",
                "must be 50..60000, was " + pingIntervalMs);
        require(pingTimeoutMs >= 50 && pingTimeoutMs <= 60_000, "ami.ping-timeout-ms",
                "must be 50..60000, was " + pingTimeoutMs);
        require(actionTimeoutMs >= 100 && actionTimeoutMs <= 120_000, "ami.action-timeout-ms",
                "must be 100..120000, was " + actionTimeoutMs);
        require(backoffInitialMs >= 10 && backoffInitialMs <= 60_000, "ami.backoff-initial-ms",
                "must be 10..60000, was " + backoffInitialMs);
        require(backoffMaxMs >= backoffInitialMs && backoffMaxMs <= 600_000, "ami.backoff-max-ms",
                "must be ami.backoff-initial-ms..600000, was " + backoffMaxMs);
        require(resyncIntervalMs >= 1000, "ami.resync-interval-ms", "must be at least 1000, was " + resyncIntervalMs);
        require(maxLineLength >= 256 && maxLineLength <= 1 << 20, "ami.max-line-length",
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
        String username = enabled ? s.requiredString("username", "the manager.conf user name")
                : s.string("username", "");
        org.pbxagent.agent.config.Secret secret = s.secret("secret", enabled, 1);
        int connect = (int) s.millis("connect-timeout-ms", 2000, 100, 60_000).toMillis();
        int pingInterval = (int) s.millis("ping-interval-ms", 1000, 50, 60_000).toMillis();
        int pingTimeout = (int) s.millis("ping-timeout-ms", 2000, 50, 60_000).toMillis();
        int action = (int) s.millis("action-timeout-ms", 5000, 100, 120_000).toMillis();
        int backoffInitial = (int) s.millis("backoff-initial-ms", 500, 10, 60_000).toMillis();
        int backoffMax = (int) s.millis("backoff-max-ms", 30_000, 10, 600_000).toMillis();
        int resync = (int) s.millis("resync-interval-ms", 60_000, 1000, 86_400_000).toMillis();
        int maxLine = s.intRange("max-line-length", 16 * 1024, 256, 1 << 20);
        if (!enabled || username.isBlank() || secret.isEmpty()) {
            return null; // disabled, or the missing value is already reported
        }
        return new AmiSettings(host, port, username, secret.reveal(), connect, pingInterval, pingTimeout, action,
                backoffInitial, backoffMax, resync, maxLine);
    }

    /** Defaults for everything but address and credentials. */
    public static AmiSettings defaults(String host, int port, String username, String secret) {
        return new AmiSettings(host, port, username, secret, 2000, 1000, 2000, 5000, 500, 30_000, 60_000, 16 * 1024);
    }

    public AmiSettings withTimings(int pingIntervalMs, int pingTimeoutMs, int backoffInitialMs, int backoffMaxMs) {
        return new AmiSettings(host, port, username, secret, connectTimeoutMs, pingIntervalMs, pingTimeoutMs,
                actionTimeoutMs, backoffInitialMs, backoffMaxMs, resyncIntervalMs, maxLineLength);
    }

    public AmiSettings withResyncIntervalMs(int ms) {
        return new AmiSettings(host, port, username, secret, connectTimeoutMs, pingIntervalMs, pingTimeoutMs,
                actionTimeoutMs, backoffInitialMs, backoffMaxMs, ms, maxLineLength);
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
        return "AmiSettings[host=" + host + ", port=" + port + ", username=" + username + ", secret=***"
                + ", connectTimeoutMs=" + connectTimeoutMs + ", pingIntervalMs=" + pingIntervalMs
                + ", pingTimeoutMs=" + pingTimeoutMs + ", actionTimeoutMs=" + actionTimeoutMs
                + ", backoffInitialMs=" + backoffInitialMs + ", backoffMaxMs=" + backoffMaxMs
                + ", resyncIntervalMs=" + resyncIntervalMs + ", maxLineLength=" + maxLineLength + "]";
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
