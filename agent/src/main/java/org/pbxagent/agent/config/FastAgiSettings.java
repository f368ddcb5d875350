package org.pbxagent.agent.config;

import java.time.Duration;

/**
 * {@code fastagi.*}: the FastAGI listener Asterisk's dialplan calls.
 *
 * @param bind           listen address; 127.0.0.1 when Asterisk runs on the same node
 * @param port           listen port (4573 is the FastAGI default; 0 = any free port, for tests)
 * @param maxSessions    concurrent sessions; beyond this a session is refused and the dialplan takes its fallback
 * @param readTimeout    a peer silent this long mid-session is dropped
 * @param shutdownGrace  on stop, sessions in flight get this long to finish
 */
public record FastAgiSettings(String bind, int port, int maxSessions, Duration readTimeout, Duration shutdownGrace) {

    public static FastAgiSettings read(ConfigSource s) {
        String bind = s.ipAddress("bind", "127.0.0.1");
        int port = s.port("port", 4573, true);
        int max = s.intRange("max-sessions", 512, 1, 100_000);
        Duration read = s.millis("read-timeout-ms", 5000, 100, 600_000);
        Duration grace = s.millis("shutdown-grace-ms", 10_000, 0, 600_000);
        return new FastAgiSettings(bind, port, max, read, grace);
    }

    @Override
    public String toString() {
        return "fastagi: bind=" + bind + " port=" + port + " max-sessions=" + maxSessions + " read-timeout="
                + readTimeout.toMillis() + "ms shutdown-grace=" + shutdownGrace.toMillis() + "ms";
    }
}
