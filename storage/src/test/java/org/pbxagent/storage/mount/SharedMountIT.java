package org.pbxagent.storage.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.pbxagent.storage.testing.HangFs;
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
        return new MountSettings(
                i.device,
                dir.resolve("mnt"),
                type,
                "noatime",
                label,
                null,
                "pbx1",
                Duration.ofSeconds(10),
                unmountBudget);
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
        StorageException wrongLabel = assertThrows(
                StorageException.class,
                () -> new SharedMount(settings(ext4, "ext4", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        assertEquals(StorageException.Kind.NOT_CONFIGURED, wrongLabel.kind());
        assertTrue(wrongLabel.getMessage().contains("label 'scratch', expected 'pbxshared'"), wrongLabel.getMessage());

        LoopImage o2 = image("mkfs.ocfs2", "-q", "-F", "-L", "pbxshared", "-N", "2");
        StorageException wrongType = assertThrows(
                StorageException.class,
                () -> new SharedMount(settings(o2, "ext4", null, Duration.ofSeconds(5)), runner).mount());
        assertTrue(wrongType.getMessage().contains("holds ocfs2, expected ext4"), wrongType.getMessage());

        LoopImage blank = image();
        StorageException none = assertThrows(
                StorageException.class,
                () -> new SharedMount(settings(blank, "ext4", null, Duration.ofSeconds(5)), runner).mount());
        assertTrue(none.getMessage().contains("no file system found"), none.getMessage());
        assertTrue(notMounted());
    }

    @Test
    void ocfs2IsNotMountedWhileTheClusterStackIsOffline() {
        LoopImage o2 = image("mkfs.ocfs2", "-q", "-F", "-L", "pbxshared", "-N", "2");
        StorageException e = assertThrows(
                StorageException.class,
                () -> new SharedMount(settings(o2, "ocfs2", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        // This kernel has no ocfs2 module: exactly the "stack offline" case.
        assertTrue(e.getMessage().startsWith("cluster stack offline:"), e.getMessage());
        assertTrue(notMounted());
    }

    @Test
    void aMissingDeviceOrABusyMountPointIsAClearError() throws Exception {
        MountSettings missing = new MountSettings(
                Path.of("/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-iqn.2026-11.org.pbxagent:none-lun-1"),
                dir.resolve("mnt"),
                "ext4",
                null,
                null,
                null,
                "pbx1",
                Duration.ofSeconds(5),
                Duration.ofSeconds(5));
        StorageException e = assertThrows(StorageException.class, () -> new SharedMount(missing, runner).mount());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        Files.createDirectories(dir.resolve("mnt"));
        Exec.ok(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=1m",
                "tmpfs",
                dir.resolve("mnt").toString());
        StorageException busy = assertThrows(
                StorageException.class,
                () -> new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(5)), runner).mount());
        assertTrue(busy.getMessage().contains("is busy: tmpfs (tmpfs)"), busy.getMessage());
        // Unmount must not take someone else's file system down either.
        assertThrows(
                StorageException.class,
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
        holders.add(holder(mnt, "cd \"$1\" && exec sleep 1000")); // cwd
        holders.add(holder(mnt, "exec 3<\"$1/moh.wav\"; exec sleep 1000")); // open file
        holders.add(holder(mnt, "trap '' TERM; cd \"$1\" && exec sleep 1000")); // ignores TERM
        awaitHolders(mnt, 3);

        long t0 = System.nanoTime();
        SharedMount.Unmounted stop = m.stop();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(SharedMount.Result.DONE, stop.result());
        assertTrue(MountTable.at(mnt).isEmpty());
        for (Process p : holders) {
            assertTrue(p.waitFor(2, TimeUnit.SECONDS), "holder " + p.pid() + " survived");
        }
        assertTrue(ms < 6_000, "unmount took " + ms + " ms for a 4 s budget");
        // The stop says whom it ended: every holder by pid and command name, KILL for the one that ignored TERM.
        for (Process p : holders) {
            assertTrue(
                    stop.ended().stream()
                            .anyMatch(e -> e.pid() == p.pid() && e.command().equals("sleep")),
                    p.pid() + " not in " + stop.ended());
        }
        assertTrue(
                stop.ended().stream()
                        .anyMatch(e ->
                                e.pid() == holders.get(2).pid() && e.signal().equals("KILL")),
                stop.ended().toString());
    }

    @Test
    void aStopNeverReportsSuccessWhileTheFileSystemIsStillMounted() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofMillis(800)), runner);
        m.mount();
        Path mnt = dir.resolve("mnt");
        // A second mount stacked on a directory inside keeps ours busy: no process to kill, umount says busy.
        Files.createDirectories(mnt.resolve("spool"));
        Exec.ok(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=1m",
                "tmpfs",
                mnt.resolve("spool").toString());
        try {
            StorageException e = assertThrows(StorageException.class, m::unmount);
            assertTrue(e.getMessage().contains("still mounted"), e.getMessage());
            assertTrue(MountTable.at(mnt).isPresent());
        } finally {
            Exec.run("umount", mnt.resolve("spool").toString());
        }
        assertEquals(SharedMount.Result.DONE, m.unmount());
    }

    /** Every mount of the device in every mount namespace, read from /proc the way no caller of stop() does. */
    static List<String> mountsOfDevice(Path device) throws Exception {
        int[] dev = DeviceNumbers.of(device);
        List<String> found = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    String ns = Files.readSymbolicLink(proc.resolve("ns/mnt")).toString();
                    if (!seen.add(ns)) {
                        continue;
                    }
                    for (String line : Files.readAllLines(proc.resolve("mountinfo"))) {
                        if (line.split(" ")[2].equals(dev[0] + ":" + dev[1])) {
                            found.add(proc.getFileName() + ": " + line);
                        }
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return found;
    }

    @Test
    void aBindMountOfASubdirectoryElsewhereIsUnmountedTooBeforeTheStopSucceeds() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(4)), runner);
        m.mount();
        Path voicemail = Files.createDirectories(dir.resolve("mnt/voicemail"));
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Exec.ok("mount", "--bind", voicemail.toString(), spool.toString());
        try {
            assertEquals(SharedMount.Result.DONE, m.unmount());
            assertEquals(List.of(), mountsOfDevice(img.device), "the device is still mounted");
        } finally {
            Exec.run("umount", spool.toString());
        }
    }

    @Test
    void aCopyOfTheMountInAnotherNamespaceIsUnmountedThereAndItsProcessSpared() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(4)), runner);
        m.mount();
        // A namespace made after the mount holds a private copy of it (as a service's private namespace would);
        // its only process neither uses the file system nor keeps it alive by anything but the namespace.
        Process ns = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sleep", "1000")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        holders.add(ns);
        awaitMountIn(ns, dir.resolve("mnt").toString(), true);
        assertEquals(SharedMount.Result.DONE, m.unmount());
        assertEquals(List.of(), mountsOfDevice(img.device), "the device is still mounted");
        assertTrue(ns.isAlive(), "a process that does not hold the file system was killed");
    }

    @Test
    void aProcessElsewhereWhoseDirectoryHasTheSamePathOnAnotherFileSystemIsNoHolder() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(4)), runner);
        m.mount();
        Path mnt = dir.resolve("mnt");
        // In its own namespace it drops the copy of our mount and works in a tmpfs at the very same path.
        Process other = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "umount \"$1\" && mount -t tmpfs -o size=1m other \"$1\" && cd \"$1\" && exec sleep 1000",
                        "other",
                        mnt.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        holders.add(other);
        awaitMountIn(other, mnt.toString(), false);
        Process mine = holder(mnt, "cd \"$1\" && exec sleep 1000");
        holders.add(mine);
        awaitHolders(mnt, 1);
        assertEquals(
                List.of(mine.pid()), Holders.of(mnt).stream().map(Holder::pid).toList());

        SharedMount.Unmounted stop = m.stop();
        assertEquals(SharedMount.Result.DONE, stop.result());
        assertTrue(mine.waitFor(5, TimeUnit.SECONDS), "the real holder survived");
        assertTrue(other.isAlive(), "a process on another file system was killed");
        assertEquals(
                List.of(mine.pid()),
                stop.ended().stream().map(SharedMount.Ended::pid).toList());
    }

    /** Waits until the process's namespace shows our ext4 at the path (or, with ext4=false, a tmpfs there). */
    private static void awaitMountIn(Process p, String path, boolean ext4) throws Exception {
        for (int i = 0; i < 200; i++) {
            try {
                for (MountEntry e : MountTable.of(Path.of("/proc/" + p.pid()))) {
                    if (e.mountPoint().equals(path)
                            && e.fsType().equals(ext4 ? "ext4" : "tmpfs")
                            && (ext4
                                    || Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd"))
                                            .toString()
                                            .equals(path))) {
                        return;
                    }
                }
            } catch (IOException e) {
                // not there yet
            }
            Thread.sleep(25);
        }
        throw new AssertionError("namespace of " + p.pid() + " never showed " + path);
    }

    @Test
    void aMountPointReachedThroughASymbolicLinkStartsAndStops() throws Exception {
        LoopImage img = image("mkfs.ext4", "-q", "-L", "pbxshared");
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("mnt"), real);
        SharedMount m = new SharedMount(settings(img, "ext4", "pbxshared", Duration.ofSeconds(4)), runner);
        assertEquals(SharedMount.Result.DONE, m.mount());
        assertTrue(m.current().isPresent());
        assertEquals(SharedMount.Result.ALREADY, m.mount());
        assertEquals(SharedMount.Result.DONE, m.unmount());
        assertTrue(MountTable.at(real).isEmpty(), "still mounted at " + real);
        assertEquals(List.of(), mountsOfDevice(img.device));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aStopOnADiskThatDiedUnderDirtyDataFailsAndNeverReportsSuccess() throws Exception {
        // A loop device over a FUSE file that stops answering: umount detaches the mount from the table, then sleeps
        // in the kernel writing back. That is a failed stop (the node must be fenced), never a success.
        Path backing = dir.resolve("backing.img");
        Exec.ok("truncate", "-s", "32M", backing.toString());
        Exec.ok("mkfs.ext4", "-q", "-L", "pbxshared", backing.toString());
        HangFs disk = HangFs.backedBy(dir, backing);
        String loop =
                Exec.ok("losetup", "--find", "--show", disk.disk.toString()).strip();
        Path mnt = dir.resolve("mnt");
        try {
            MountSettings s = new MountSettings(
                    Path.of(loop),
                    mnt,
                    "ext4",
                    "noatime",
                    "pbxshared",
                    null,
                    "pbx1",
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(3));
            SharedMount m = new SharedMount(s, runner);
            m.mount();
            Files.write(mnt.resolve("recording.wav"), new byte[4 << 20]);
            disk.die();
            long t0 = System.nanoTime();
            StorageException e = assertThrows(StorageException.class, m::stop);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(
                    e.getMessage().contains("did not finish") || e.getMessage().contains("still mounted"),
                    e.getMessage());
            assertTrue(ms < 10_000, "a stop with a 3 s budget took " + ms + " ms");
            // And again: a second stop must not take the detached mount for "already unmounted".
            StorageException again = assertThrows(StorageException.class, m::stop);
            assertTrue(
                    again.getMessage().contains(loop) || again.getMessage().contains("did not finish"),
                    again.getMessage());
        } finally {
            // Killing the FUSE daemon fails the pending I/O; the stuck umount then ends and the loop can go.
            disk.close();
            for (int i = 0; i < 200 && !mountsOfDevice(Path.of(loop)).isEmpty(); i++) {
                Thread.sleep(50);
            }
            for (int i = 0; i < 100 && !Exec.run("losetup", "-d", loop).ok(); i++) {
                Thread.sleep(100);
            }
            Exec.run("umount", disk.mountPoint.toString());
        }
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
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
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
