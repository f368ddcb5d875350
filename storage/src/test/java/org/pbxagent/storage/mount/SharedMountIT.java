package org.pbxagent.storage.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.testing.Exec;
import org.pbxagent.storage.testing.LoopImage;

/** Mount, holders and unmount on real loop-mounted images (ext4 stands in for OCFS2, which cannot mount here). */
class SharedMountIT {

    @TempDir
    Path dir;

    private final List<LoopImage> images = new ArrayList<>();
    private final List<Process> holders = new ArrayList<>();
    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : holders) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        for (LoopImage i : images) {
            i.close();
        }
        Exec.run("umount", dir.resolve("mnt").toString());
    }

    private LoopImage image(String... mkfs) {
        LoopImage i = LoopImage.create(dir, "img" + images.size(), "32M", mkfs);
        images.add(i);
        return i;
    }

    private MountSettings settings(LoopImage i, String type, String label, Duration unmountBudget) {
        return new MountSettings(i.device, dir.resolve("mnt"), type, "noatime", label, null, "pbx1",
                Duration.ofSeconds(10), unmountBudget);
    }

    @Test
    void mountAndUnmountAreVerifiedAndIdempotent() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(5)), runner);
        assertEquals(SharedMount.Result.DONE, m.mount());
        MountEntry e = MountTable.at(dir.resolve("mnt")).orElseThrow();
        assertEquals("ext4", e.fsType());
        assertTrue(e.options().contains("noatime"), e.options());
        assertEquals(SharedMount.Result.ALREADY, m.mount());
        Files.writeString(dir.resolve("mnt/voicemail.txt"), "kept");

        assertEquals(SharedMount.Result.DONE, m.unmount());
        assertTrue(MountTable.at(dir.resolve("mnt")).isEmpty());
        assertEquals(SharedMount.Result.ALREADY, m.unmount());
        // Data written before the stop is there after the next start.
        assertEquals(SharedMount.Result.DONE, m.mount());
        assertEquals("kept", Files.readString(dir.resolve("mnt/voicemail.txt")));
    }

    @Test
    void aWrongFileSystemOrLabelIsRefusedBeforeMounting() {
        LoopImage ext4 = image("mkfs.ext4", "-q", "-L", "scratch");
        StorageException wrongLabel = assertThrows(StorageException.class,
                () -> new SharedMount(settings(ext4, "ext4", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        assertEquals(StorageException.Kind.NOT_CONFIGURED, wrongLabel.kind());
        assertTrue(wrongLabel.getMessage().contains("label 'scratch', expected 'pbxshared'"), wrongLabel.getMessage());

        LoopImage o2 = image("mkfs.ocfs2", "-q", "-F", "-L", "pbxshared", "-N", "2");
        StorageException wrongType = assertThrows(StorageException.class,
                () -> new SharedMount(settings(o2, "ext4", null, Duration.ofSeconds(5)), runner).mount());
        assertTrue(wrongType.getMessage().contains("holds ocfs2, expected ext4"), wrongType.getMessage());

        LoopImage blank = image();
        StorageException none = assertThrows(StorageException.class,
                () -> new SharedMount(settings(blank, "ext4", null, Duration.ofSeconds(5)), runner).mount());
        assertTrue(none.getMessage().contains("no file system found"), none.getMessage());
        assertTrue(notMounted());
    }

    @Test
    void ocfs2IsNotMountedWhileTheClusterStackIsOffline() {
        LoopImage o2 = image("mkfs.ocfs2", "-q", "-F", "-L", "pbxshared", "-N", "2");
        StorageException e = assertThrows(StorageException.class,
                () -> new SharedMount(settings(o2, "ocfs2", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        // This kernel has no ocfs2 module: exactly the "stack offline" case.
        assertTrue(e.getMessage().startsWith("cluster stack offline:"), e.getMessage());
        assertTrue(notMounted());
    }

    @Test
    void aMissingDeviceOrABusyMountPointIsAClearError() throws Exception {
        MountSettings missing = new MountSettings(Path.of("/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-iqn.2026-11.org.pbxagent:none-lun-1"),
                dir.resolve("mnt"), "ext4", null, null, null, "pbx1", Duration.ofSeconds(5), Duration.ofSeconds(5));
        StorageException e = assertThrows(StorageException.class, () -> new SharedMount(missing, runner).mount());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        Files.createDirectories(dir.resolve("mnt"));
        Exec.ok("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.resolve("mnt").toString());
        StorageException busy = assertThrows(StorageException.class,
                () -> new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        assertTrue(busy.getMessage().contains("is busy: tmpfs (tmpfs)"), busy.getMessage());
        // Unmount must not take someone else's file system down either.
        assertThrows(StorageException.class,
                () -> new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(5)), runner).unmount());
        assertEquals("tmpfs", MountTable.at(dir.resolve("mnt")).orElseThrow().fsType());
    }

    @Test
    void unmountEndsEveryHolderIncludingOneThatIgnoresTerm() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(4)), runner);
        m.mount();
        Path mnt = dir.resolve("mnt");
        Files.writeString(mnt.resolve("moh.wav"), "music");
        holders.add(holder(mnt, "cd \"$1\" && exec sleep 1000"));                         // cwd
        holders.add(holder(mnt, "exec 3<\"$1/moh.wav\"; exec sleep 1000"));               // open file
        holders.add(holder(mnt, "trap '' TERM; cd \"$1\" && exec sleep 1000"));           // ignores TERM
        awaitHolders(mnt, 3);

        long t0 = System.nanoTime();
        assertEquals(SharedMount.Result.DONE, m.unmount());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(MountTable.at(mnt).isEmpty());
        for (Process p : holders) {
            assertTrue(p.waitFor(2, TimeUnit.SECONDS), "holder " + p.pid() + " survived");
        }
        assertTrue(ms < 6_000, "unmount took " + ms + " ms for a 4 s budget");
    }

    @Test
    void aStopNeverReportsSuccessWhileTheFileSystemIsStillMounted() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofMillis(800)), runner);
        m.mount();
        Path mnt = dir.resolve("mnt");
        // A second mount stacked on a directory inside keeps ours busy: no process to kill, umount says busy.
        Files.createDirectories(mnt.resolve("spool"));
        Exec.ok("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.resolve("spool").toString());
        try {
            StorageException e = assertThrows(StorageException.class, m::unmount);
            assertTrue(e.getMessage().contains("still mounted"), e.getMessage());
            assertTrue(MountTable.at(mnt).isPresent());
        } finally {
            Exec.run("umount", mnt.resolve("spool").toString());
        }
        assertEquals(SharedMount.Result.DONE, m.unmount());
    }

    private boolean notMounted() {
        try {
            return MountTable.at(dir.resolve("mnt")).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    static Process holder(Path mnt, String script) throws IOException {
        return new ProcessBuilder("sh", "-c", script, "holder", mnt.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static void awaitHolders(Path mnt, int n) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (Holders.of(mnt).size() >= n) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("expected " + n + " holders, found " + Holders.of(mnt));
    }
}
