package org.pbxagent.storage.testing;

import java.nio.file.Path;
import org.pbxagent.storage.command.CommandResult;

/** A file-backed loop device with a file system made by the test; detached (and unmounted) on close. */
public final class LoopImage implements AutoCloseable {

    public final Path image;
    public final Path device;

    private LoopImage(Path image, Path device) {
        this.image = image;
        this.device = device;
    }

    /** mkfs is the argv before the target (e.g. "mkfs.ext4", "-q", "-L", "pbxshared"); null leaves the image blank. */
    public static LoopImage create(Path dir, String name, String size, String... mkfs) {
        Path image = dir.resolve(name);
        Exec.ok("truncate", "-s", size, image.toString());
        if (mkfs != null && mkfs.length > 0) {
            String[] argv = new String[mkfs.length + 1];
            System.arraycopy(mkfs, 0, argv, 0, mkfs.length);
            argv[mkfs.length] = image.toString();
            Exec.ok(argv);
        }
        String dev = Exec.ok("losetup", "--find", "--show", image.toString()).strip();
        return new LoopImage(image, Path.of(dev));
    }

    @Override
    public void close() {
        // Unmount whatever the test left mounted from this device, then detach it.
        for (int i = 0; i < 3; i++) {
            CommandResult r = Exec.run("findmnt", "-n", "-o", "TARGET", "--source", device.toString());
            if (!r.ok() || r.stdout().isBlank()) {
                break;
            }
            for (String target : r.stdout().strip().split("\n")) {
                Exec.run("umount", target.strip());
            }
        }
        Exec.run("losetup", "-d", device.toString());
    }
}
