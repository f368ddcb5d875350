package org.pbxagent.agent.load;

import java.util.Arrays;
import org.pbxagent.agent.config.ConfigSource;

/**
 * The {@code load.*} configuration. Validated at construction; the exception names the bad key.
 *
 * @param intervalMs       a NodeLoad is published this often (and at once on every AMI availability change)
 * @param maxCalls         calls this node is sized for: calls/maxCalls is the call part of the score
 * @param cpuFull          CPU busy fraction that counts as full (audio suffers before 100 %)
 * @param memoryFull       memory-used fraction that counts as full
 * @param maxAgiInFlight   FastAGI sessions in flight that count as full
 * @param hysteresisPoints a published score moves only when the new score differs by at least this much ...
 * @param thresholds       ... or crosses one of these (upward at once, downward only once more than {@code thresholdBand} below)
 * @param thresholdBand    points below a threshold the score must fall before the downward crossing counts
 */
@SuppressWarnings("ArrayRecordComponent") // never compared or hashed: read field by field by the monitor
public record LoadSettings(
        int intervalMs,
        int maxCalls,
        double cpuFull,
        double memoryFull,
        int maxAgiInFlight,
        int hysteresisPoints,
        int[] thresholds,
        int thresholdBand) {

    public LoadSettings {
        require(intervalMs >= 50 && intervalMs <= 60_000, "load.interval-ms", "must be 50..60000, was " + intervalMs);
        require(maxCalls > 0, "load.max-calls", "must be positive, was " + maxCalls);
        require(cpuFull > 0 && cpuFull <= 1, "load.cpu-full", "must be in (0, 1], was " + cpuFull);
        require(memoryFull > 0 && memoryFull <= 1, "load.memory-full", "must be in (0, 1], was " + memoryFull);
        require(maxAgiInFlight > 0, "load.max-agi-in-flight", "must be positive, was " + maxAgiInFlight);
        require(
                hysteresisPoints >= 1 && hysteresisPoints <= 50,
                "load.hysteresis-points",
                "must be 1..50, was " + hysteresisPoints);
        require(thresholds != null, "load.thresholds", "must be given");
        thresholds = thresholds.clone();
        for (int t : thresholds) {
            require(t > 0 && t <= 100, "load.thresholds", "values must be 1..100, was " + t);
        }
        Arrays.sort(thresholds);
        require(
                thresholdBand >= 0 && thresholdBand <= 20,
                "load.threshold-band",
                "must be 0..20, was " + thresholdBand);
    }

    /** Reads {@code load.*}; every key has a default. */
    public static LoadSettings read(ConfigSource s) {
        int interval = (int) s.millis("interval-ms", 1000, 50, 60_000).toMillis();
        int maxCalls = s.intRange("max-calls", 200, 1, 1_000_000);
        int cpuFull = s.intRange("cpu-full-percent", 90, 1, 100);
        int memoryFull = s.intRange("memory-full-percent", 95, 1, 100);
        int maxAgi = s.intRange("max-agi-in-flight", 100, 1, 1_000_000);
        int step = s.intRange("hysteresis-points", 5, 1, 50);
        int band = s.intRange("threshold-band", 2, 0, 20);
        String list = s.string("thresholds", "50,80,95");
        int[] thresholds;
        try {
            thresholds = list.isBlank()
                    ? new int[0]
                    : Arrays.stream(list.split(","))
                            .map(String::trim)
                            .mapToInt(Integer::parseInt)
                            .toArray();
        } catch (NumberFormatException e) {
            s.problem("thresholds", "expected a comma-separated list of integers 1..100, got '" + list + "'");
            thresholds = new int[] {50, 80, 95};
        }
        return new LoadSettings(
                interval, maxCalls, cpuFull / 100.0, memoryFull / 100.0, maxAgi, step, thresholds, band);
    }

    public static LoadSettings defaults(int maxCalls) {
        return new LoadSettings(1000, maxCalls, 0.90, 0.95, 100, 5, new int[] {50, 80, 95}, 2);
    }

    public LoadSettings withIntervalMs(int ms) {
        return new LoadSettings(
                ms, maxCalls, cpuFull, memoryFull, maxAgiInFlight, hysteresisPoints, thresholds, thresholdBand);
    }

    @Override
    public int[] thresholds() {
        return thresholds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoadSettings l
                && intervalMs == l.intervalMs
                && maxCalls == l.maxCalls
                && cpuFull == l.cpuFull
                && memoryFull == l.memoryFull
                && maxAgiInFlight == l.maxAgiInFlight
                && hysteresisPoints == l.hysteresisPoints
                && Arrays.equals(thresholds, l.thresholds)
                && thresholdBand == l.thresholdBand;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                intervalMs,
                maxCalls,
                cpuFull,
                memoryFull,
                maxAgiInFlight,
                hysteresisPoints,
                Arrays.hashCode(thresholds),
                thresholdBand);
    }

    private static void require(boolean ok, String key, String why) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + why);
        }
    }

    @Override
    public String toString() {
        return "load: interval=" + intervalMs + "ms max-calls=" + maxCalls + " cpu-full-percent="
                + Math.round(cpuFull * 100) + " memory-full-percent=" + Math.round(memoryFull * 100)
                + " max-agi-in-flight=" + maxAgiInFlight + " hysteresis-points=" + hysteresisPoints + " thresholds="
                + java.util.Arrays.stream(thresholds)
                        .mapToObj(Integer::toString)
                        .collect(java.util.stream.Collectors.joining(","))
                + " threshold-band=" + thresholdBand;
    }
}
