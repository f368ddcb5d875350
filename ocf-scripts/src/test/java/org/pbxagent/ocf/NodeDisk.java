package org.pbxagent.ocf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A PBX node's shared-storage disk for the cluster tests: ext4 on a loop device whose backing file is served by the
 * storage module's hangfs (a FUSE file system that passes I/O through until it is told to die). OCFS2 cannot be
 * mounted on this kernel, so each node gets its own disk; {@link #freeze()} is a SAN that stops answering under a
 * mounted file system: every read, write and fsync then waits in the kernel (D state) for good.
 */
final class NodeDisk implements AutoCloseable {

    final Path dir;
    private final Path bin;
    final Path backing;
    private Process daemon;
    private String loop;

    /** Compiles hangfs (storage/src/test/resources/hangfs/hangfs.c) into {@code root}. */
    static Path compileHangFs(Path root) {
        Path src = Path.of(System.getProperty("ocf.scripts.dir", "."))
                .toAbsolutePath()
                .getParent()
                .resolve("storage/src/test/resources/hangfs/hangfs.c");
        Path bin = root.resolve("hangfs");
        PacemakerCluster.check(
                OcfSandbox.exec(
                        new ProcessBuilder("gcc", "-O2", "-o", bin.toString(), src.toString()),
                        Duration.ofSeconds(120)),
                "gcc hangfs.c");
        return bin;
    }

    NodeDisk(Path dir, Path hangfs, String label) throws IOException, InterruptedException {
        this.dir = Files.createDirectories(dir);
        this.bin = hangfs;
        this.backing = dir.resolve("disk.img");
        PacemakerCluster.check(
                OcfSandbox.exec(
                        new ProcessBuilder("truncate", "-s", "32M", backing.toString()), Duration.ofSeconds(10)),
                "truncate");
        PacemakerCluster.check(
                OcfSandbox.exec(
                        new ProcessBuilder("mkfs.ext4", "-q", "-L", label, backing.toString()), Duration.ofSeconds(60)),
                "mkfs.ext4");
        attach();
    }

    /** The loop device the node mounts (storage.device). */
    String device() {
        return loop;
    }

    /** Serves the backing file through a fresh hangfs and attaches a loop device to it. */
    void attach() throws IOException, InterruptedException {
        Path mnt = Files.createDirectories(dir.resolve("hung"));
        Path out = dir.resolve("hangfs.out");
        Files.deleteIfExists(out);
        daemon = new ProcessBuilder(
                        bin.toString(), mnt.toString(), mnt.resolve("disk").toString(), "--backing", backing.toString())
                .redirectOutput(out.toFile())
                .redirectErrorStream(true)
                .start();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(20),
                () -> {
                    try {
                        return !daemon.isAlive() || Files.readString(out).contains("mounted");
                    } catch (IOException e) {
                        return false;
                    }
                },
                "hangfs mounted in " + mnt);
        if (!daemon.isAlive()) {
            throw new IllegalStateException("hangfs failed: " + Files.readString(out));
        }
        // Direct I/O to the backing file, as a SAN LUN has: without it the loop device reads through the page cache
        // of the backing file, and a frozen disk would still answer every read of a block cached there.
        OcfSandbox.Result r = OcfSandbox.exec(
                new ProcessBuilder(
                        "losetup",
                        "--find",
                        "--show",
                        "--direct-io=on",
                        mnt.resolve("disk").toString()),
                Duration.ofSeconds(20));
        PacemakerCluster.check(r, "losetup");
        loop = r.stdout().strip();
    }

    /** From now on the disk answers nothing: its I/O waits in the kernel until {@link #detach()}. */
    void freeze() {
        OcfSandbox.signal(daemon.pid(), "USR1");
    }

    /**
     * Ends hangfs: the pending I/O fails, which frees whatever waited on it in the kernel (a node holding such
     * processes cannot be killed before: its namespace ends only when they do).
     */
    void release() throws InterruptedException {
        if (daemon != null) {
            daemon.destroyForcibly();
            daemon.waitFor();
            daemon = null;
        }
    }

    /**
     * {@link #release()}, then detaches the loop device once nothing holds it (the node using it must be down) and
     * repairs the file system (a frozen disk lost its dirty data).
     */
    void detach() throws InterruptedException {
        release();
        OcfSandbox.exec(new ProcessBuilder("umount", "-l", dir.resolve("hung").toString()), Duration.ofSeconds(20));
        if (loop != null) {
            for (int i = 0; i < 100; i++) {
                if (OcfSandbox.exec(new ProcessBuilder("losetup", "-d", loop), Duration.ofSeconds(20))
                                .rc()
                        == 0) {
                    break;
                }
                Thread.sleep(100);
            }
            loop = null;
        }
        // e2fsck: 0 clean, 1 errors corrected; 4 and up are failures the next mount would show.
        OcfSandbox.exec(new ProcessBuilder("e2fsck", "-f", "-y", backing.toString()), Duration.ofSeconds(60));
    }

    @Override
    public void close() throws IOException {
        try {
            detach();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
