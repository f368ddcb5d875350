package org.pbxagent.agent.config;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * {@code node.*}: who this agent is in the cluster.
 *
 * @param id      node name; the same name Pacemaker and the Kamailio dispatcher list use for this PBX
 * @param dataDir local state (routing snapshot, embedded DB); must survive restarts
 */
public record NodeSettings(String id, Path dataDir) {

    @Override
    public String toString() {
        return "node: id=" + id + " data-dir=" + dataDir;
    }

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public static NodeSettings read(ConfigSource s) {
        String id = s.requiredString("id", "the node name, e.g. pbx1");
        if (!id.isEmpty() && !ID.matcher(id).matches()) {
            s.problem(
                    "id",
                    "expected letters, digits, '.', '_' or '-' (at most 63, first a letter or digit), got '" + id
                            + "'");
        }
        Path dataDir = s.path("data-dir", "/var/lib/pbx-agent");
        return new NodeSettings(id, dataDir);
    }
}
