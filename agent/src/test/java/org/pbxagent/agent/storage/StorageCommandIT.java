package org.pbxagent.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.daemon.AgentProcess;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;
import picocli.CommandLine;

/**
 * {@code pbx-agent storage ...} as the pbx-storage resource agent calls it, on a real loop-mounted ext4 image
 * (OCFS2 cannot mount on this kernel; the file system type is configuration). Exit codes are the OCF ones.
 */
class StorageCommandIT {

    @TempDir
    Path dir;

    private String loop;
    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    record Run(int rc, String out, String err) {}

    private String ok(String... argv) {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(30), argv));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + r.reason());
        }
        return r.stdout();
    }

    @BeforeEach
    void image() {
        Path img = dir.resolve("shared.img");
        ok("truncate", "-s", "32M", img.toString());
        ok("mkfs.ext4", "-q", "-L", "pbxshared", img.toString());
        loop = ok("losetup", "--find", "--show", img.toString()).strip();
    }

    @AfterEach
    void detach() {
        runner.run(BoundedCommand.of(
                Duration.ofSeconds(10), "umount", dir.resolve("shared").toString()));
        runner.run(BoundedCommand.of(Duration.ofSeconds(10), "losetup", "-d", loop));
    }

    private Path config(String extra) throws Exception {
        Path f = dir.resolve("pbx-agent.properties");
        Files.writeString(
                f,
                "node.id = pbx1\n"
                        + "storage.device = " + loop + "\n"
                        + "storage.mount-point = " + dir.resolve("shared") + "\n"
                        + "storage.fs-type = ext4\n"
                        + "storage.mount-options = noatime\n"
                        + "storage.label = pbxshared\n"
                        + "storage.unmount-budget-ms = 3000\n"
                        + "storage.probe-budget-ms = 5000\n"
                        + "db.url = jdbc:mysql://127.0.0.1:3306/pbx\n"
                        + extra);
        return f;
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void startMonitorStatusStopWithOcfExitCodes() throws Exception {
        String c = config("").toString();
        Run probe = cli("storage", "monitor", "-c", c);
        assertEquals(7, probe.rc(), probe.out() + probe.err());

        Run start = cli("storage", "start", "-c", c);
        assertEquals(0, start.rc(), start.err());
        assertTrue(start.out().startsWith("mounted: " + loop), start.out());
        assertEquals(0, cli("storage", "start", "-c", c).rc(), "start must be idempotent");

        for (String depth : new String[] {"0", "10", "20"}) {
            Run m = cli("storage", "monitor", "--depth", depth, "-c", c);
            assertEquals(0, m.rc(), depth + ": " + m.err());
        }
        assertTrue(Files.exists(dir.resolve("shared/.pbx-agent/pbx1.status")));
        Run status = cli("storage", "status", "-c", c);
        assertEquals(0, status.rc(), status.err());
        assertTrue(status.out().contains("health: ok"), status.out());

        Run bad = cli("storage", "monitor", "--depth", "5", "-c", c);
        assertEquals(2, bad.rc());

        // A process working in the share: the stop ends it and says so, by pid and command name.
        Process holder = new ProcessBuilder(
                        "sh",
                        "-c",
                        "cd \"$1\" && exec sleep 1000",
                        "holder",
                        dir.resolve("shared").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            for (int i = 0;
                    i < 200
                            && !Files.readSymbolicLink(Path.of("/proc/" + holder.pid() + "/cwd"))
                                    .toString()
                                    .equals(dir.resolve("shared").toString());
                    i++) {
                Thread.sleep(25);
            }
            Run stop = cli("storage", "stop", "-c", c);
            assertEquals(0, stop.rc(), stop.err());
            assertTrue(stop.out().contains("ended holders: sleep[" + holder.pid() + "] TERM"), stop.out());
            assertTrue(holder.waitFor(5, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(7, cli("storage", "monitor", "-c", c).rc());
        assertEquals(0, cli("storage", "stop", "-c", c).rc(), "stop must be idempotent");
    }

    @Test
    void aStopThatCannotUnmountFailsWithExit1AndLeavesItMounted() throws Exception {
        String c = config("").toString();
        assertEquals(0, cli("storage", "start", "-c", c).rc());
        Path spool = Files.createDirectories(dir.resolve("shared/spool"));
        ok("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", spool.toString());
        try {
            Run stop = cli("storage", "stop", "-c", c);
            assertEquals(1, stop.rc(), stop.out());
            assertTrue(stop.err().contains("still mounted"), stop.err());
            assertEquals(0, cli("storage", "monitor", "-c", c).rc(), "the file system must still be there");
        } finally {
            runner.run(BoundedCommand.of(Duration.ofSeconds(10), "umount", spool.toString()));
        }
        assertEquals(0, cli("storage", "stop", "-c", c).rc());
    }

    @Test
    void configurationProblemsAreExit6AndNameTheKey() throws Exception {
        Path f = config("");
        Files.writeString(f, Files.readString(f).replace("storage.label = pbxshared", "storage.label = other"));
        Run label = cli("storage", "start", "-c", f.toString());
        assertEquals(6, label.rc(), label.err());
        assertTrue(label.err().contains("label 'pbxshared', expected 'other'"), label.err());

        Files.writeString(
                f, Files.readString(f).replace("storage.probe-budget-ms = 5000", "storage.probe-budget-ms = soon"));
        Run badKey = cli("storage", "monitor", "-c", f.toString());
        assertEquals(6, badKey.rc());
        assertTrue(badKey.err().contains("storage.probe-budget-ms"), badKey.err());

        Run missing =
                cli("storage", "status", "-c", dir.resolve("none.properties").toString());
        assertEquals(6, missing.rc());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void aMissingIscsiadmIsExit5() throws Exception {
        // The packaged CLI with a PATH that holds no iscsiadm, so this runs the same whether or not open-iscsi is
        // installed here: start reports "not installed" and names the package.
        Path f = config("iscsi.target = iqn.2026-11.org.pbxagent:shared\niscsi.portals = 127.0.0.1:3260\n");
        Path emptyPath = Files.createDirectories(dir.resolve("no-iscsiadm"));
        Path out = dir.resolve("start.out");
        Path err = dir.resolve("start.err");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(
                        java, "-jar", AgentProcess.jar().toString(), "storage", "start", "-c", f.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("PATH", emptyPath.toString());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("storage start did not end within 120 s: " + Files.readString(err));
        }
        String stderr = Files.readString(err);
        assertEquals(5, p.exitValue(), stderr);
        assertTrue(stderr.contains("open-iscsi"), stderr);
    }

    @Test
    void fenceMetadataThroughTheAgentCli() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.commandLine().execute("fence", "-o", "metadata");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("<resource-agent name=\"fence_pbx_san\""));
    }
}
