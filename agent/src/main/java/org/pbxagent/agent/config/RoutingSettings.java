package org.pbxagent.agent.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code routing.*}: the in-memory routing snapshot and its last-known-good copy on disk.
 *
 * @param snapshotFile where the last good snapshot is kept, read at start when the DB is down
 * @param refresh      how often the snapshot is reloaded from the DB
 */
public record RoutingSettings(Path snapshotFile, Duration refresh) {

    public static RoutingSettings read(ConfigSource s) {
        Path file = s.path("snapshot-file", "/var/lib/pbx-agent/routing-snapshot.json");
        Duration refresh = s.millis("refresh-ms", 1000, 50, 60_000);
        return new RoutingSettings(file, refresh);
    }

    @Override
    public String toString() {
        return "routing: snapshot-file=" + snapshotFile + " refresh=" + refresh.toMillis() + "ms";
    }
}
