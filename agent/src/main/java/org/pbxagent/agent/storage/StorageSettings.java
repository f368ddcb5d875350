package org.pbxagent.agent.storage;

import java.nio.file.Path;
import java.time.Duration;
import org.pbxagent.agent.config.ConfigSource;

/**
 * The {@code storage.*} section: the shared file system of this node. Absent (null) when no storage key is set, so a
 * node without shared storage needs none of them.
 */
public record StorageSettings(
        Path device,
        Path mountPoint,
        String fsType,
        String mountOptions,
        String label,
        String uuid,
        Duration mountTimeout,
        Duration unmountBudget,
        Duration probeBudget) {

    static final String[] KEYS = {
        "device",
        "mount-point",
        "fs-type",
        "mount-options",
        "label",
        "uuid",
        "mount-timeout-ms",
        "unmount-budget-ms",
        "probe-budget-ms"
    };

    public static StorageSettings read(ConfigSource s) {
        boolean any = false;
        for (String k : KEYS) {
            any |= s.isSet(k);
        }
        if (!any) {
            return null;
        }
        Path device = s.path("device", null);
        Path mountPoint = s.path("mount-point", null);
        if (mountPoint == null) {
            s.requiredString("mount-point", "the shared file system's mount point, e.g. /srv/pbx-shared");
        } else if (!mountPoint.isAbsolute() || mountPoint.normalize().toString().equals("/")) {
            s.problem("mount-point", "expected an absolute path other than /, got '" + mountPoint + "'");
        }
        if (device != null && !device.isAbsolute()) {
            s.problem("device", "expected an absolute path, got '" + device + "'");
        }
        String fsType = s.string("fs-type", "ocfs2");
        if (!fsType.matches("[a-z0-9][a-z0-9._]*")) {
            s.problem("fs-type", "expected a file system type such as ocfs2 or ext4, got '" + fsType + "'");
        }
        String options = s.string("mount-options", "_netdev,noatime");
        if (!options.matches("[A-Za-z0-9_=.,:/+-]+")) {
            s.problem("mount-options", "expected comma-separated mount options, got '" + options + "'");
        }
        String label = s.string("label", null);
        String uuid = s.string("uuid", null);
        if (uuid != null && !uuid.matches("[0-9A-Fa-f-]{8,40}")) {
            s.problem("uuid", "expected a file system UUID, got '" + uuid + "'");
        }
        Duration mountTimeout = s.millis("mount-timeout-ms", 30_000, 1_000, 600_000);
        Duration unmountBudget = s.millis("unmount-budget-ms", 20_000, 500, 600_000);
        Duration probeBudget = s.millis("probe-budget-ms", 5_000, 1_500, 120_000);
        return new StorageSettings(
                device, mountPoint, fsType, options, label, uuid, mountTimeout, unmountBudget, probeBudget);
    }
}
