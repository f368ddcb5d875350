package org.pbxagent.storage.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real tgtd as the SAN: portal on 127.0.0.1 on a free port, its own control port (so it never meets another
 * tgtd on the machine), one file-backed LUN and initiator-name ACLs.
 */
public final class TgtdSan implements AutoCloseable {

    public static final String TARGET = "iqn.2026-11.org.pbxagent:shared";

    public final int portal;
    public final int controlPort;
    public final Path lun;
    private final Process process;

    private TgtdSan(int portal, int controlPort, Path lun, Process process) {
        this.portal = portal;
        this.controlPort = controlPort;
        this.lun = lun;
        this.process = process;
    }

    public static TgtdSan start(Path dir, String... initiators) throws Exception {
        int control;
        do {
            control = ThreadLocalRandom.current().nextInt(20000, 32000);
        } while (Files.exists(Path.of("/var/run/tgtd/socket." + control)));
        int portal = FreePort.pick();
        Path lun = dir.resolve("lun.img");
        Exec.ok("truncate", "-s", "16M", lun.toString());
        Process p = new ProcessBuilder(
                        "tgtd", "-f", "-C", Integer.toString(control), "--iscsi", "portal=127.0.0.1:" + portal)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("tgtd.log").toFile())
                .start();
        TgtdSan san = new TgtdSan(portal, control, lun, p);
        try {
            FreePort.awaitListening(portal, Duration.ofSeconds(10), p);
            san.tgtadm("--op", "new", "--mode", "target", "--tid", "1", "-T", TARGET);
            san.tgtadm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", lun.toString());
            for (String i : initiators) {
                san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-name", i);
            }
        } catch (Exception e) {
            san.close();
            throw e;
        }
        return san;
    }

    public String tgtadm(String... args) {
        String[] argv = new String[args.length + 5];
        argv[0] = "tgtadm";
        argv[1] = "-C";
        argv[2] = Integer.toString(controlPort);
        argv[3] = "--lld";
        argv[4] = "iscsi";
        System.arraycopy(args, 0, argv, 5, args.length);
        return Exec.ok(argv);
    }

    public long pid() {
        return process.pid();
    }

    public String lunUrl() {
        return "iscsi://127.0.0.1:" + portal + "/" + TARGET + "/1";
    }

    @Override
    public void close() throws IOException {
        // tgtd ignores SIGTERM while it has targets.
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort));
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + ".lock"));
    }
}
