package org.pbxagent.agent.ami;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect delay with "equal jitter": half the delay fixed, half random, so that the agents of a
 * cluster do not reconnect in step after a shared outage yet never retry in a tight loop.
 */
final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private int attempt;

    Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
    }

    long nextDelayMs() {
        long base = Math.min(maxMs, initialMs << Math.min(attempt, 20));
        attempt++;
        long half = base / 2;
        return half + ThreadLocalRandom.current().nextLong(half + 1);
    }

    void reset() {
        attempt = 0;
    }

    int attempts() {
        return attempt;
    }
}
