package org.pbxagent.ocf.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private network namespace holding the lab's SAN addresses on its loopback: tgtd, sshd and the QEMU processes
 * (whose user-mode networking connects from here) all run inside it, so the guests reach the SAN at its own
 * address (the one tgtd names in its discovery answer) and nothing the lab does touches the machine's network.
 */
final class LabNet implements AutoCloseable {

    private final Process holder;

    private LabNet(Process holder) {
        this.holder = holder;
    }

    static LabNet create(Path dir, String... addresses) throws Exception {
        StringBuilder sh = new StringBuilder("ip link set lo up || exit 1; ");
        for (String a : addresses) {
            sh.append("ip addr add ").append(a).append("/32 dev lo || exit 1; ");
        }
        sh.append("echo up; exec sleep 86400");
        Process p = new ProcessBuilder("unshare", "--net", "sh", "-c", sh.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("netns.log").toFile())
                .start();
        LabNet net = new LabNet(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(dir.resolve("netns.log")).contains("up")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                net.close();
                throw new IllegalStateException(
                        "network namespace not ready: " + Files.readString(dir.resolve("netns.log")));
            }
            Thread.sleep(20);
        }
        return net;
    }

    /** argv run inside the namespace. */
    List<String> inside(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-n", "--"));
        cmd.addAll(List.of(argv));
        return cmd;
    }

    @Override
    public void close() throws IOException {
        holder.destroyForcibly();
        try {
            holder.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
