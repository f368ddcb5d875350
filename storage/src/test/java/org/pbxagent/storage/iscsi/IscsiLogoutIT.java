package org.pbxagent.storage.iscsi;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.testing.Exec;
import org.pbxagent.storage.testing.LoopImage;

/** The logout guard looks at the real mount table: a mounted device is busy, an unmounted one is not. */
class IscsiLogoutIT {

    @TempDir
    Path dir;

    @Test
    void aMountedDeviceIsBusyAndAnUnmountedOneIsNot() throws Exception {
        try (LoopImage img = LoopImage.create(dir, "lun.img", "16M", "mkfs.ext4", "-q")) {
            assertNull(IscsiInitiator.busy(img.device));
            Path mnt = Files.createDirectories(dir.resolve("mnt"));
            Exec.ok("mount", img.device.toString(), mnt.toString());
            String busy = IscsiInitiator.busy(img.device);
            assertTrue(busy != null && busy.contains("is mounted on " + mnt), busy);
            Exec.ok("umount", mnt.toString());
            assertNull(IscsiInitiator.busy(img.device));
        }
    }
}
