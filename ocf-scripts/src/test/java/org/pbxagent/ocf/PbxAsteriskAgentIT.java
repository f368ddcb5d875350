package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** pbx-asterisk run as Pacemaker's executor runs it, against the Asterisk stand-in, and under real ocf-tester. */
class PbxAsteriskAgentIT {

    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Map<String, String> MONITOR = Map.of("interval", "2000", "timeout", "5000");
    private static final Map<String, String> PROBE = Map.of("interval", "0", "timeout", "5000");

    private OcfSandbox box;
    private int port;
    private Map<String, String> params;

    @BeforeEach
    void setUp() throws Exception {
        box = new OcfSandbox();
        port = OcfSandbox.freePort();
        params = new java.util.LinkedHashMap<>(box.asteriskParams("ast", port, ""));
    }

    @AfterEach
    void tearDown() throws Exception {
        box.close();
    }

    private OcfSandbox.Result run(String action, Map<String, String> meta) {
        return box.run("pbx-asterisk", action, params, meta, LIMIT);
    }

    private long pid() {
        return OcfSandbox.pidIn(Path.of(params.get("pidfile")));
    }

    /** Alive and not a zombie (the agent's orphans may wait for a reaper). */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void withoutItsLibraryEveryActionIsNotInstalled() throws Exception {
        box.assertNotInstalledWithoutLibrary("pbx-asterisk", params);
    }

    @Test
    void passesOcfTester() {
        List<String> cmd = new ArrayList<>(List.of("ocf-tester", "-n", "ast-under-test"));
        params.forEach((k, v) -> {
            cmd.add("-o");
            cmd.add(k + "=" + v);
        });
        cmd.add(box.agent("pbx-asterisk").toString());
        OcfSandbox.Result r = OcfSandbox.exec(new ProcessBuilder(cmd), Duration.ofSeconds(120));
        assertEquals(0, r.rc(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("passed all tests"), r.stdout());
    }

    @Test
    void startWaitsForFullyBootedAndMonitorSeesItAtEveryDepth() {
        params.put("options", params.get("options") + " --boot-delay 1.5");
        OcfSandbox.Result start = run("start", Map.of("timeout", "20000"));
        assertEquals(0, start.rc(), start.stderr());
        // The stand-in listens at once but says FullyBooted only after 1.5 s: start must not return before.
        assertTrue(start.millis() >= 1400, "start returned after " + start.millis() + " ms, before FullyBooted");
        assertEquals(0, run("monitor", MONITOR).rc());
        assertEquals(0, run("monitor", PROBE).rc());
        // Pacemaker passes a recurring op's OCF_CHECK_LEVEL in the environment.
        OcfSandbox.Result deep =
                box.run("pbx-asterisk", "monitor", params, MONITOR, Map.of("OCF_CHECK_LEVEL", "10"), LIMIT);
        assertEquals(0, deep.rc(), deep.stderr());
    }

    @Test
    void crashedAsteriskIsNotRunning() {
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        OcfSandbox.signal(pid, "KILL");
        ProcessHandle.of(pid).ifPresent(ph -> ph.onExit().join());
        OcfSandbox.Result mon = run("monitor", MONITOR);
        assertEquals(7, mon.rc(), mon.stderr());
        assertEquals(0, run("stop", Map.of()).rc());
        assertFalse(Files.exists(Path.of(params.get("pidfile"))), "stop leaves no stale pid file");
    }

    @Test
    void hungAsteriskFailsWithinTheMonitorTimeoutAndIsNeverReportedStopped() {
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        OcfSandbox.signal(pid, "STOP");
        for (Map<String, String> meta : List.of(MONITOR, PROBE)) {
            OcfSandbox.Result mon = run("monitor", meta);
            assertEquals(1, mon.rc(), "alive but silent is a failure, not 'not running': " + mon.stderr());
            assertTrue(mon.millis() < 5000, "monitor took " + mon.millis() + " ms, past its 5 s timeout");
            assertTrue(mon.exitReason().contains("AMI"), mon.stderr());
        }
        // TERM stays pending on a stopped process: stop must go on to KILL inside its own timeout.
        OcfSandbox.Result stop = run("stop", Map.of("timeout", "12000"));
        assertEquals(0, stop.rc(), stop.stderr());
        assertTrue(stop.millis() < 12000, "stop took " + stop.millis() + " ms");
        assertFalse(alive(pid));
        assertEquals(7, run("monitor", MONITOR).rc());
    }

    /** Logs in to the stand-in and gives one CLI command over AMI, as an operator's {@code asterisk -rx} would. */
    private void amiCommand(String command) throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            var in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            out.write(("Action: Login\r\nUsername: " + OcfSandbox.AMI_USER + "\r\nSecret: " + OcfSandbox.AMI_SECRET
                            + "\r\nActionID: l\r\n\r\nAction: Command\r\nCommand: " + command
                            + "\r\nActionID: c\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
            for (String l; (l = in.readLine()) != null; ) {
                if (l.equals("ActionID: c")) {
                    return;
                }
            }
            throw new AssertionError("no reply to " + command);
        }
    }

    @Test
    void anAsteriskThatIsShuttingDownFailsItsMonitorFromTheFirstMoment() throws Exception {
        Path calls = box.dir.resolve("calls");
        Files.writeString(calls, "1\n");
        params.put("options", params.get("options") + " --calls-file " + calls);
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        // A graceful stop given outside Pacemaker waits for the call; meanwhile Asterisk refuses new calls and
        // answers every action, Ping included, with "Asterisk is shutting down".
        amiCommand("core stop gracefully");
        for (Map<String, String> meta : List.of(MONITOR, PROBE)) {
            OcfSandbox.Result mon = run("monitor", meta);
            assertEquals(1, mon.rc(), "a stopping Asterisk is not serving: " + mon.stderr());
            assertTrue(mon.exitReason().contains("shutting down"), mon.stderr());
        }
        assertTrue(alive(pid));
        Files.writeString(calls, "0\n");
        ProcessHandle.of(pid)
                .ifPresent(ph -> ph.onExit()
                        .orTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
                        .join());
        assertEquals(7, run("monitor", MONITOR).rc());
    }

    @Test
    void aRecycledPidIsNeitherMonitoredNorKilled() throws Exception {
        Process foreign = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(Path.of(params.get("pidfile")), foreign.pid() + "\n");
            assertEquals(7, run("monitor", MONITOR).rc(), "a pid that is not the configured binary is not Asterisk");
            assertEquals(0, run("stop", Map.of()).rc());
            assertTrue(foreign.isAlive(), "stop must never signal a process that is not Asterisk");
        } finally {
            foreign.destroyForcibly();
        }
    }

    @Test
    void stopNeverFailsOnValidation() {
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        params.put("ami_port", "not-a-port");
        params.put("probe_timeout", "soon");
        params.put("ami_secret_file", "/nonexistent/secret");
        assertEquals(6, run("validate-all", Map.of()).rc(), "these parameters do not validate");
        OcfSandbox.Result stop = run("stop", Map.of("timeout", "20000"));
        assertEquals(0, stop.rc(), stop.stderr());
        assertFalse(alive(pid));
    }

    @Test
    void stopWaitsForCallsThenStopsTheCoreGracefully() throws Exception {
        Path calls = box.dir.resolve("calls");
        Files.writeString(calls, "2\n");
        params.put("options", params.get("options") + " --calls-file " + calls);
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        CompletableFuture<OcfSandbox.Result> stop =
                CompletableFuture.supplyAsync(() -> run("stop", Map.of("timeout", "30000")));
        Thread.sleep(2500);
        assertTrue(alive(pid), "stop must not end Asterisk while calls are up and the deadline is far");
        assertFalse(stop.isDone());
        Files.writeString(calls, "0\n");
        OcfSandbox.Result r = stop.get();
        assertEquals(0, r.rc(), r.stderr());
        assertFalse(alive(pid));
        // Graceful: the stop ended well before the TERM share (85 % of 30 s) of the timeout.
        assertTrue(r.millis() < 10_000, "stop took " + r.millis() + " ms");
    }

    @Test
    void anAsteriskHeldInTheKernelByFrozenStorageFailsItsStopWithinSecondsNotAtTheTimeout() throws Exception {
        // Asterisk's spool on ext4 over a loop device whose disk stops answering (hangfs): its writer then sleeps
        // in the kernel (D), where neither TERM nor KILL reaches it. Waiting out the shipped 120 s stop timeout
        // would only delay the fencing that alone frees the node.
        Path hangfs = NodeDisk.compileHangFs(box.dir);
        NodeDisk disk = new NodeDisk(box.dir.resolve("disk"), hangfs, "spool");
        Path mnt = Files.createDirectories(box.dir.resolve("spool"));
        PacemakerCluster.check(
                OcfSandbox.exec(
                        new ProcessBuilder("mount", "-o", "noatime", disk.device(), mnt.toString()),
                        Duration.ofSeconds(30)),
                "mount");
        try {
            params.put("options", params.get("options") + " --spool " + mnt.resolve("spool"));
            assertEquals(0, run("start", Map.of()).rc());
            long pid = pid();
            disk.freeze();
            OcfSandbox.Result r =
                    box.run("pbx-asterisk", "stop", params, Map.of("timeout", "120000"), Duration.ofSeconds(150));
            assertEquals(1, r.rc(), "a process no signal can end is a failed stop: " + r.stderr());
            assertTrue(r.exitReason().contains("held in the kernel"), r.stderr());
            // hung_term_grace (2 s) held before KILL, 5 s held after it, plus AMI and a loaded machine's slowness.
            assertTrue(r.millis() < 40_000, "stop took " + r.millis() + " ms");
            assertTrue(heldInKernel(pid), "it really could not be ended: a thread still sleeps in the kernel");
            System.out.println("FIGURE Asterisk held in the kernel: stop failed after " + r.millis() + " ms"
                    + " (stop timeout 120 s)");
        } finally {
            // The pending I/O fails once hangfs is gone: the stand-in can then die, the mount and the loop go.
            disk.release();
            for (ProcessHandle ph : box.processes()) {
                ph.destroyForcibly();
                ph.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
            OcfSandbox.exec(new ProcessBuilder("umount", "-l", mnt.toString()), Duration.ofSeconds(20));
            disk.close();
        }
    }

    /** A thread of {@code pid} sleeps uninterruptibly (its leader may already be a zombie). */
    private static boolean heldInKernel(long pid) throws java.io.IOException {
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.anyMatch(t -> {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    return stat.charAt(stat.lastIndexOf(')') + 2) == 'D';
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    @Test
    void stopWithCallsThatNeverEndStillEndsInsideItsTimeout() throws Exception {
        Path calls = box.dir.resolve("calls");
        Files.writeString(calls, "1\n");
        params.put("options", params.get("options") + " --calls-file " + calls);
        assertEquals(0, run("start", Map.of()).rc());
        long pid = pid();
        OcfSandbox.Result r = run("stop", Map.of("timeout", "10000"));
        assertEquals(0, r.rc(), r.stderr());
        assertFalse(alive(pid));
        assertTrue(r.millis() < 10_000, "stop took " + r.millis() + " ms, past Pacemaker's timeout");
    }

    @Test
    void badStartsSayWhy() {
        params.put("ami_secret_file", box.dir.resolve("wrong.secret").toString());
        assertEquals(6, run("validate-all", Map.of()).rc());
        params.put("binary", "/nonexistent/asterisk");
        OcfSandbox.Result v = run("validate-all", Map.of());
        assertEquals(5, v.rc());
        assertTrue(v.exitReason().contains("/nonexistent/asterisk"), v.stderr());
        assertEquals(7, run("monitor", PROBE).rc(), "a probe where Asterisk is not installed says 'not running'");
    }

    @Test
    void aWrongAmiSecretIsAConfigurationError() throws Exception {
        Path wrong = box.dir.resolve("wrong.secret");
        Files.writeString(wrong, "not-the-secret\n");
        params.put("ami_secret_file", wrong.toString());
        OcfSandbox.Result start = run("start", Map.of("timeout", "20000"));
        assertEquals(6, start.rc(), start.stderr());
        assertTrue(start.exitReason().contains("refused"), start.stderr());
        assertEquals(0, run("stop", Map.of()).rc());
    }

    @Test
    void aProcessThatDiesDuringStartFailsTheStartAtOnce() {
        params.put("options", "--no-such-option");
        OcfSandbox.Result start = run("start", Map.of("timeout", "30000"));
        assertEquals(1, start.rc());
        assertTrue(start.millis() < 5000, "start took " + start.millis() + " ms");
        assertTrue(start.exitReason().contains("exited during start"), start.stderr());
    }
}
