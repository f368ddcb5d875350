package org.pbxagent.agent.config;

import java.time.Duration;

/**
 * {@code scheduler.*}: periodic work. Local work runs on an in-memory scheduler on every node; cluster work (once
 * per cluster, whichever node is up) runs on a second scheduler whose job store is the shared DB.
 *
 * @param enabled                  false runs none of the agent's own periodic work (consistency check, cluster
 *                                 scheduler); other modules' local work still runs
 * @param threads                  worker threads of each scheduler
 * @param clusterEnabled           false keeps cluster work off this node (it still runs on the others)
 * @param clusterCheckin           how often this node tells the others it is alive
 * @param misfireThreshold         a firing later than this is treated as missed and handled by the misfire policy
 * @param consistencyCheckInterval period of the routing-data consistency check (cluster work)
 */
public record SchedulerSettings(
        boolean enabled,
        int threads,
        boolean clusterEnabled,
        Duration clusterCheckin,
        Duration misfireThreshold,
        Duration consistencyCheckInterval) {

    public static SchedulerSettings read(ConfigSource s) {
        boolean enabled = s.bool("enabled", true);
        int threads = s.intRange("threads", 2, 1, 32);
        boolean cluster = s.bool("cluster.enabled", true);
        Duration checkin = s.millis("cluster.checkin-interval-ms", 7500, 1000, 600_000);
        Duration misfire = s.millis("misfire-threshold-ms", 60_000, 1000, 3_600_000);
        Duration check = s.millis("consistency-check-interval-ms", 300_000, 1000, 86_400_000);
        return new SchedulerSettings(enabled, threads, cluster, checkin, misfire, check);
    }

    @Override
    public String toString() {
        return "scheduler: enabled=" + enabled + " threads=" + threads + " cluster.enabled=" + clusterEnabled
                + " cluster.checkin-interval=" + clusterCheckin.toMillis() + "ms misfire-threshold="
                + misfireThreshold.toMillis() + "ms consistency-check-interval="
                + consistencyCheckInterval.toMillis() + "ms";
    }
}
