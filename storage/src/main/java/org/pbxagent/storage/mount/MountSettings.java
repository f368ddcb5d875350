package org.pbxagent.storage.mount;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The shared file system of this node: which device, where, which type (ocfs2 in production), options, the label or
 * UUID the device must carry, this node's cluster name, and the time budgets of mount and unmount.
 */
public record MountSettings(
        Path device,
        Path mountPoint,
        String fsType,
        String options,
        String expectedLabel,
        String expectedUuid,
        String nodeName,
        Duration mountTimeout,
        Duration unmountBudget) {

    public MountSettings {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(fsType, "fsType");
        if (!fsType.matches("[a-z0-9][a-z0-9._]*")) {
            throw new IllegalArgumentException("bad file system type: " + fsType);
        }
        if (options != null && !options.isEmpty() && !options.matches("[A-Za-z0-9_=.,:/+-]+")) {
            throw new IllegalArgumentException("bad mount options: " + options);
        }
        if (!mountPoint.isAbsolute() || mountPoint.normalize().toString().equals("/")) {
            throw new IllegalArgumentException("mount point must be an absolute path other than /: " + mountPoint);
        }
        if (!device.isAbsolute()) {
            throw new IllegalArgumentException("device must be an absolute path: " + device);
        }
        mountPoint = mountPoint.normalize();
    }

    public boolean clustered() {
        return fsType.equals("ocfs2") || fsType.equals("gfs2");
    }
}
