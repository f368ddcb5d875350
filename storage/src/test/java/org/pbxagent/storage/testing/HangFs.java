package org.pbxagent.storage.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A FUSE file system whose reads never return (hangfs.c, compiled here with gcc): the hung device. Its file "disk"
 * blocks every read(2) uninterruptibly; any other name blocks at lookup. Killing the daemon aborts the pending
 * requests, which is how the test releases the children stuck in it.
 */
public final class HangFs implements AutoCloseable {

    public final Path mountPoint;
    public final Path disk;
    private final Process daemon;

    private HangFs(Path mountPoint, Process daemon) {
        this.mountPoint = mountPoint;
        this.disk = mountPoint.resolve("disk");
        this.daemon = daemon;
    }

    public static HangFs mount(Path dir, boolean answerReads) throws Exception {
        return start(dir, answerReads ? List.of("--answer-reads") : List.of());
    }

    /**
     * "disk" is the backing file, read and written through, until {@link #die()}: then no read, write or fsync is
     * answered again, and whatever waits on them (a loop device's worker, an umount writing back) sleeps in D state.
     */
    public static HangFs backedBy(Path dir, Path backing) throws Exception {
        return start(dir, List.of("--backing", backing.toString()));
    }

    /** From now on the disk answers nothing. */
    public void die() {
        Exec.ok("kill", "-USR1", Long.toString(daemon.pid()));
    }

    private static HangFs start(Path dir, List<String> mode) throws Exception {
        Path src = dir.resolve("hangfs.c");
        try (InputStream in = HangFs.class.getResourceAsStream("/hangfs/hangfs.c")) {
            Files.copy(in, src);
        }
        Path bin = dir.resolve("hangfs");
        Exec.ok("gcc", "-O2", "-o", bin.toString(), src.toString());
        Path mnt = Files.createDirectories(dir.resolve("hung"));
        List<String> argv = new ArrayList<>(
                List.of(bin.toString(), mnt.toString(), mnt.resolve("disk").toString()));
        argv.addAll(mode);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[] line = new byte[8];
        int n = p.getInputStream().readNBytes(line, 0, 8);
        if (n < 7 || !new String(line, 0, 7, StandardCharsets.US_ASCII).equals("mounted")) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "hangfs did not mount: " + new String(line, 0, Math.max(n, 0), StandardCharsets.UTF_8)
                            + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return new HangFs(mnt, p);
    }

    public String fsType() {
        return "fuse.hangfs";
    }

    @Override
    public void close() {
        daemon.destroyForcibly();
        try {
            daemon.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            // Still unmount below; keep the interrupt for the caller, as AutoCloseable asks.
            Thread.currentThread().interrupt();
        }
        // With the daemon gone the mount answers ENOTCONN; umount can still be refused as busy for a moment while a
        // reader the dead daemon left in the kernel (a loop device, a stuck umount) lets go. Then detach it lazily,
        // so the directory under it can be removed whatever still holds the old mount.
        for (int i = 0; i < 20; i++) {
            if (Exec.run("umount", mountPoint.toString()).ok() || !mounted()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Exec.run("umount", "-l", mountPoint.toString());
    }

    private boolean mounted() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .anyMatch(l -> l.split(" ")[1].equals(mountPoint.toString()));
        } catch (IOException e) {
            return true;
        }
    }
}
