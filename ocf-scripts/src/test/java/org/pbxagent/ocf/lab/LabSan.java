package org.pbxagent.ocf.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One tgtd of the lab in its namespace: portal ADDRESS:3260, its own control port (another tgtd on the machine is
 * never touched), one target with file-backed LUNs and initiator-name ACLs. {@link #freeze()} stops the process,
 * so the SAN keeps its TCP connections open and answers nothing: the case of a hung SAN.
 */
final class LabSan implements AutoCloseable {

    final String address;
    final String target;
    final int controlPort;
    private final Process process;

    private LabSan(String address, String target, int controlPort, Process process) {
        this.address = address;
        this.target = target;
        this.controlPort = controlPort;
        this.process = process;
    }

    static LabSan start(
            LabNet net,
            Path dir,
            String name,
            String address,
            String target,
            List<String> lunSizes,
            List<String> initiators)
            throws Exception {
        int control;
        do {
            control = ThreadLocalRandom.current().nextInt(20000, 32000);
        } while (Files.exists(Path.of("/var/run/tgtd/socket." + control)));
        Process p = new ProcessBuilder(net.inside(
                        "tgtd", "-f", "-C", Integer.toString(control), "--iscsi", "portal=" + address + ":3260"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + "-tgtd.log").toFile())
                .start();
        LabSan san = new LabSan(address, target, control, p);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!san.tgtadmQuiet("--op", "show", "--mode", "target")) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "tgtd " + name + " did not come up: " + Files.readString(dir.resolve(name + "-tgtd.log")));
                }
                Thread.sleep(50);
            }
            san.tgtadm("--op", "new", "--mode", "target", "--tid", "1", "-T", target);
            int lun = 1;
            for (String size : lunSizes) {
                Path f = dir.resolve(name + "-lun" + lun + ".img");
                Labs.exec(Duration.ofSeconds(30), "truncate", "-s", size, f.toString());
                san.tgtadm(
                        "--op",
                        "new",
                        "--mode",
                        "logicalunit",
                        "--tid",
                        "1",
                        "--lun",
                        Integer.toString(lun),
                        "-b",
                        f.toString());
                lun++;
            }
            for (String i : initiators) {
                san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-name", i);
            }
        } catch (Exception e) {
            san.close();
            throw e;
        }
        return san;
    }

    private List<String> argv(String... args) {
        List<String> a = new ArrayList<>(List.of("tgtadm", "-C", Integer.toString(controlPort), "--lld", "iscsi"));
        a.addAll(List.of(args));
        return a;
    }

    String tgtadm(String... args) {
        return Labs.exec(Duration.ofSeconds(30), argv(args).toArray(String[]::new));
    }

    private boolean tgtadmQuiet(String... args) {
        return Labs.run(Duration.ofSeconds(10), argv(args).toArray(String[]::new))
                        .rc()
                == 0;
    }

    String show() {
        return tgtadm("--op", "show", "--mode", "target");
    }

    long pid() {
        return process.pid();
    }

    /** The SAN stops answering: connections stay open, nothing is read or written. */
    void freeze() {
        Labs.exec(Duration.ofSeconds(10), "kill", "-STOP", Long.toString(process.pid()));
        frozen = true;
    }

    void thaw() {
        Labs.exec(Duration.ofSeconds(10), "kill", "-CONT", Long.toString(process.pid()));
        frozen = false;
    }

    private volatile boolean frozen;

    boolean frozen() {
        return frozen;
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            Labs.run(Duration.ofSeconds(10), "kill", "-CONT", Long.toString(process.pid()));
        }
        // tgtd ignores SIGTERM while it has targets; nsenter passes the kill on to it.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort));
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + ".lock"));
    }
}
