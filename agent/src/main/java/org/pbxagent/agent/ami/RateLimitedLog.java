package org.pbxagent.agent.ami;

import org.slf4j.Logger;

/** Logs at most one line per period and says how many were suppressed, so a flood of garbage cannot fill disks. */
final class RateLimitedLog {
    private final Logger log;
    private final long periodNanos;
    private long lastNanos;
    private boolean any;
    private long suppressed;

    RateLimitedLog(Logger log, long periodMs) {
        this.log = log;
        this.periodNanos = periodMs * 1_000_000L;
    }

    synchronized void warn(String format, Object... args) {
        long now = System.nanoTime();
        if (any && now - lastNanos < periodNanos) {
            suppressed++;
            return;
        }
        any = true;
        lastNanos = now;
        if (suppressed > 0) {
            log.warn("({} similar messages suppressed)", suppressed);
            suppressed = 0;
        }
        log.warn(format, args);
    }
}
