package org.pbxagent.agent.config;

import java.time.Duration;
import java.util.List;

/**
 * {@code fastagi.*}: the FastAGI listener Asterisk's dialplan calls. Maps onto the fastagi module's server settings
 * (same keys, same defaults), plus the daemon's stop grace.
 *
 * @param bind                listen address (an IP); 127.0.0.1 when Asterisk runs on the same node
 * @param port                listen port (4573 is the FastAGI default; 0 = any free port, for tests)
 * @param allow               peers allowed to open sessions (CIDR blocks); others are refused at once
 * @param maxSessions         concurrent sessions; beyond this a session is refused and the dialplan takes its fallback
 * @param environmentTimeout  the agi_* block must arrive within this (Asterisk sends it at once)
 * @param replyTimeout        each reply of Asterisk to a command must arrive within this
 * @param maxLineLength       longer lines end the session as malformed
 * @param maxEnvironmentLines more agi_* lines end the session as malformed
 * @param selectorThreads     I/O threads; 0 = one per two cores
 * @param shutdownGrace       on stop, sessions in flight get this long to finish
 */
public record FastAgiSettings(String bind, int port, List<Cidr> allow, int maxSessions, Duration environmentTimeout,
                              Duration replyTimeout, int maxLineLength, int maxEnvironmentLines, int selectorThreads,
                              Duration shutdownGrace) {

    public static FastAgiSettings read(ConfigSource s) {
        String bind = s.ipAddress("bind", "127.0.0.1");
        int port = s.port("port", 4573, true);
        List<Cidr> allow = s.cidrList("allow", "127.0.0.0/8, ::1");
        if (allow.isEmpty() && s.isSet("allow")) {
            s.problem("allow", "expected at least one address block");
        }
        int max = s.intRange("max-sessions", 10_000, 1, 1_000_000);
        Duration env = s.millis("environment-timeout-ms", 2000, 1, 3_600_000);
        Duration reply = s.millis("reply-timeout-ms", 5000, 1, 3_600_000);
        int line = s.intRange("max-line-length", 8192, 256, 1 << 20);
        int lines = s.intRange("max-environment-lines", 200, 8, 10_000);
        int threads = s.intRange("selector-threads", 0, 0, 64);
        Duration grace = s.millis("shutdown-grace-ms", 10_000, 0, 600_000);
        return new FastAgiSettings(bind, port, allow, max, env, reply, line, lines, threads, grace);
    }

    /** One selector thread per two cores unless configured. */
    public int effectiveSelectorThreads() {
        return selectorThreads > 0 ? selectorThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    @Override
    public String toString() {
        return "fastagi: bind=" + bind + " port=" + port + " allow=" + allow + " max-sessions=" + maxSessions
                + " environment-timeout=" + environmentTimeout.toMillis() + "ms reply-timeout="
                + replyTimeout.toMillis() + "ms max-line-length=" + maxLineLength + " max-environment-lines="
                + maxEnvironmentLines + " selector-threads=" + (selectorThreads == 0 ? "auto" : selectorThreads)
                + " shutdown-grace=" + shutdownGrace.toMillis() + "ms";
    }
}
