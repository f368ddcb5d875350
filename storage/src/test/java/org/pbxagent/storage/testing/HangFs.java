package org.pbxagent.storage.testing;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path src = dir.resolve("hangfs.c");
        try (InputStream in = HangFs.class.getResourceAsStream("/hangfs/hangfs.c")) {
            Files.copy(in, src);
        }
        Path bin = dir.resolve("hangfs");
        Exec.ok("gcc", "-O2", "-o", bin.toString(), src.toString());
        Path mnt = Files.createDirectories(dir.resolve("hung"));
        ProcessBuilder pb = answerReads
                ? new ProcessBuilder(bin.toString(), mnt.toString(), mnt.resolve("disk").toString(), "--answer-reads")
                : new ProcessBuilder(bin.toString(), mnt.toString(), mnt.resolve("disk").toString());
        Process p = pb.redirectErrorStream(true).start();
        byte[] line = new byte[8];
        int n = p.getInputStream().readNBytes(line, 0, 8);
        if (n < 7 || !new String(line, 0, 7).equals("mounted")) {
            p.destroyForcibly();
            throw new IllegalStateException("hangfs did not mount: " + new String(line, 0, Math.max(n, 0))
                    + new String(p.getInputStream().readAllBytes()));
        }
        return new HangFs(mnt, p);
    }

    public String fsType() {
        return "fuse.hangfs";
    }

    @Override
    public void close() throws Exception {
        daemon.destroyForcibly();
        daemon.waitFor(5, TimeUnit.SECONDS);
        Exec.run("umount", mountPoint.toString());
    }
}
