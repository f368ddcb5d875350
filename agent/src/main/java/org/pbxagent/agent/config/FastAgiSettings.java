package org.pbxagent.agent.config;

import java.time.Duration;
import org.pbxagent.fastagi.server.FastAgiServerSettings;

/**
 * {@code fastagi.*}: the FastAGI listener Asterisk's dialplan calls, plus the daemon's stop grace. The server keys,
 * their defaults and their checks are the fastagi module's ({@link FastAgiServerSettings}); this reader copies each
 * set key into it and records its complaint, which already names the key, so every bad key is reported at once.
 *
 * @param server              the listener: bind address, port, allow list, session and protocol limits, threads
 * @param autoSelectorThreads {@code fastagi.selector-threads} unset or 0: the server's own count, one per two cores
 * @param shutdownGrace       on stop, sessions in flight get this long to finish
 */
public record FastAgiSettings(FastAgiServerSettings server, boolean autoSelectorThreads, Duration shutdownGrace) {

    public static FastAgiSettings read(ConfigSource s) {
        String prefix = s.key("");
        FastAgiServerSettings.Builder b = FastAgiServerSettings.builder();
        boolean autoThreads = true;
        for (String key : FastAgiServerSettings.KEYS) {
            String v = s.string(key.substring(prefix.length()), null);
            if (v == null) {
                continue;
            }
            if (key.equals(FastAgiServerSettings.KEY_SELECTOR_THREADS) && isZero(v)) {
                continue; // the documented "0 = one per two cores" is the server's default
            }
            try {
                b.set(key, v);
                autoThreads &= !key.equals(FastAgiServerSettings.KEY_SELECTOR_THREADS);
            } catch (IllegalArgumentException e) {
                s.addProblem(e.getMessage());
            }
        }
        Duration grace = s.millis("shutdown-grace-ms", 10_000, 0, 600_000);
        FastAgiServerSettings server;
        try {
            server = b.build().validate();
        } catch (IllegalArgumentException e) {
            // every value was checked as it was set; this is the last word of the owner on the whole
            s.addProblem(e.getMessage());
            server = FastAgiServerSettings.defaults();
        }
        return new FastAgiSettings(server, autoThreads, grace);
    }

    private static boolean isZero(String v) {
        try {
            return Integer.parseInt(v) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The listen address, an IP literal. */
    public String bind() {
        return server.bindAddress();
    }

    public int port() {
        return server.port();
    }

    public int maxSessions() {
        return server.maxSessions();
    }

    @Override
    public String toString() {
        return "fastagi: bind=" + bind() + " port=" + port() + " allow=" + server.allow() + " max-sessions="
                + maxSessions() + " environment-timeout="
                + server.environmentTimeout().toMillis() + "ms reply-timeout="
                + server.replyTimeout().toMillis() + "ms max-line-length=" + server.maxLineLength()
                + " max-environment-lines=" + server.maxEnvironmentLines() + " selector-threads="
                + (autoSelectorThreads ? "auto" : server.selectorThreads()) + " shutdown-grace="
                + shutdownGrace.toMillis() + "ms";
    }
}
