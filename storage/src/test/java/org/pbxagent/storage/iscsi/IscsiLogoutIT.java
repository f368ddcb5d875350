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

            Process reader = new ProcessBuilder(
                            "sh", "-c", "exec 3<\"$1\"; exec sleep 1000", "r", img.device.toString())
                    .start();
            try {
                String open = null;
                for (int i = 0; i < 100 && open == null; i++) {
                    open = IscsiInitiator.busy(img.device);
                    Thread.sleep(20);
                }
                assertTrue(open != null && open.contains("is open by sleep[" + reader.pid() + "]"), open);
            } finally {
                reader.destroyForcibly();
                reader.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertNull(IscsiInitiator.busy(img.device));
        }
    }
}
