package org.pbxagent.storage.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.testing.Exec;

/** The OCFS2 checks against real ocfs2-tools on an image file (the kernel here cannot mount OCFS2). */
class OcfsToolsIT {

    @TempDir
    Path dir;

    @Test
    void identityHoldersAndSlotsOfARealOcfs2Volume() throws Exception {
        Path img = dir.resolve("o2.img");
        Exec.ok("truncate", "-s", "64M", img.toString());
        Exec.ok("mkfs.ocfs2", "-q", "-F", "-L", "pbxshared", "-N", "3", img.toString());
        ProcessCommandRunner runner = new ProcessCommandRunner();

        FilesystemIdentity id = FilesystemIdentity.probe(runner, img.toString(), Duration.ofSeconds(10));
        assertEquals("ocfs2", id.type());
        assertEquals("pbxshared", id.label());

        OcfsVolume volume = new OcfsVolume(runner, Duration.ofSeconds(10));
        assertEquals(List.of(), volume.holders(img.toString()));
        assertEquals(3, volume.slots(img.toString()));
        Exec.ok("fsck.ocfs2", "-n", img.toString());
    }
}
