package org.pbxagent.fastagi.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the routing service serves from, for status pages and health checks.
 *
 * @param dbReachable     the last DB poll succeeded
 * @param degraded        answers come from a snapshot that is not the DB's current data: the DB is unreachable, or
 *                        its data was refused ({@code ROUTE_DEGRADED=1})
 * @param snapshotVersion {@code routing_version} of the data in use
 * @param loadedAt        when that data was read from the DB (also for a snapshot loaded from disk)
 * @param snapshotAge     now minus loadedAt
 * @param source          {@code database} or {@code disk}
 * @param problems        problems with the routing data found at load, and the last refresh error if any
 */
public record RoutingStatus(
        boolean dbReachable,
        boolean degraded,
        long snapshotVersion,
        Instant loadedAt,
        Duration snapshotAge,
        String source,
        List<String> problems) {
    public RoutingStatus {
        problems = List.copyOf(problems);
    }
}
