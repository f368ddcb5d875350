package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** pbx-agent (the resource agent) running the real daemon, on an embedded MariaDB, under ocf-tester and by hand. */
class PbxAgentAgentIT {

    // Generous: on a loaded 2-core machine the daemon's first start (JVM, embedded MariaDB, schema) has taken
    // more than a minute.
    private static final Duration LIMIT = Duration.ofSeconds(240);
    private static final Map<String, String> START = Map.of("timeout", "180000");
    private static final Map<String, String> MONITOR = Map.of("interval", "5000", "timeout", "10000");

    private OcfSandbox box;
    private Map<String, String> params;
    private Instant testStart;

    @BeforeEach
    void setUp() throws Exception {
        testStart = Instant.now();
        box = new OcfSandbox();
        int http = OcfSandbox.freePort();
        int agi = OcfSandbox.freePort();
        Path token = box.dir.resolve("admin.token");
        Files.writeString(token, "t0ken-for-the-resource-agent-test-0123456789\n");
        Path config = box.dir.resolve("pbx-agent.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "node.id = pbx1",
                        "node.data-dir = " + box.dir.resolve("data"),
                        "db.url = embedded",
                        "routing.snapshot-file = " + box.dir.resolve("data/routing-snapshot.json"),
                        "fastagi.bind = 127.0.0.1",
                        "fastagi.port = " + agi,
                        "http.bind = 127.0.0.1",
                        "http.port = " + http,
                        "http.admin-token = file:" + token,
                        "scheduler.enabled = false",
                        "ami.enabled = false",
                        ""));
        params = new LinkedHashMap<>();
        params.put("agent_cli", box.launcher.toString());
        params.put("config", config.toString());
        params.put("pidfile", box.dir.resolve("pbx-agent.pid").toString());
        params.put("health_url", "http://127.0.0.1:" + http + "/health/live");
        params.put("status_url", "http://127.0.0.1:" + http + "/status");
        params.put("log", box.dir.resolve("console.log").toString());
    }

    @AfterEach
    void tearDown() throws Exception {
        box.close();
        endOrphanedEmbeddedDb();
    }

    /**
     * A daemon that the resource agent had to KILL cannot stop its embedded MariaDB, which is then re-parented to
     * init. End exactly those: mariadbd children of init, in an embedded work dir, started during this test.
     */
    private void endOrphanedEmbeddedDb() {
        ProcessHandle.allProcesses()
                .filter(ph -> ph.parent().map(pp -> pp.pid() == 1).orElse(false))
                .filter(ph -> ph.info()
                        .commandLine()
                        .map(c -> c.contains("/pbx-agent-mariadb-") && c.contains("mariadbd"))
                        .orElse(false))
                .filter(ph -> ph.info()
                        .startInstant()
                        .map(t -> !t.isBefore(testStart))
                        .orElse(false))
                .forEach(ph -> {
                    ph.destroy();
                    try {
                        ph.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        ph.destroyForcibly();
                    }
                });
    }

    private OcfSandbox.Result run(String action, Map<String, String> meta) {
        return box.run("pbx-agent", action, params, meta, LIMIT);
    }

    private long pid() {
        return OcfSandbox.pidIn(Path.of(params.get("pidfile")));
    }

    @Test
    void withoutItsLibraryEveryActionIsNotInstalled() throws Exception {
        box.assertNotInstalledWithoutLibrary("pbx-agent", params);
    }

    @Test
    void passesOcfTester() {
        // ocf-tester gives every action a fixed 20 s timeout, less than a first start can take on a loaded
        // machine; -o overrides it the way Pacemaker passes the op timeout.
        List<String> cmd = new ArrayList<>(
                List.of("ocf-tester", "-n", "agent-under-test", "-o", "CRM_meta_timeout=" + START.get("timeout")));
        params.forEach((k, v) -> {
            cmd.add("-o");
            cmd.add(k + "=" + v);
        });
        cmd.add(box.agent("pbx-agent").toString());
        OcfSandbox.Result r = OcfSandbox.exec(new ProcessBuilder(cmd), Duration.ofSeconds(240));
        assertEquals(0, r.rc(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("passed all tests"), r.stdout());
    }

    @Test
    void aWedgedDaemonFailsItsMonitorInTimeAndIsKilledByStop() {
        OcfSandbox.Result start = run("start", START);
        assertEquals(0, start.rc(), start.stderr());
        OcfSandbox.Result deep =
                box.run("pbx-agent", "monitor", params, MONITOR, Map.of("OCF_CHECK_LEVEL", "10"), LIMIT);
        assertEquals(0, deep.rc(), deep.stderr());
        long pid = pid();
        OcfSandbox.signal(pid, "STOP");
        long frozenAt = System.nanoTime();
        OcfSandbox.Result mon = run("monitor", MONITOR);
        assertEquals(1, mon.rc(), "alive but not answering is a failure, never 'not running'");
        assertTrue(mon.millis() < 10_000, "monitor took " + mon.millis() + " ms");
        assertTrue(mon.exitReason().contains("does not answer"), mon.stderr());
        assertTrue(mon.exitReason().contains("frozen"), mon.stderr());
        // A frozen daemon cannot drain or finish a call and TERM stays pending on it: KILL at once, not at the
        // end of the TERM share (11 of these 15 s), so the FastAGI connections it holds close and calls fall back.
        OcfSandbox.Result stop = run("stop", Map.of("timeout", "15000"));
        assertEquals(0, stop.rc(), stop.stderr());
        assertTrue(stop.millis() < 8_000, "stop took " + stop.millis() + " ms");
        // Under Pacemaker a monitor interval (2 s shipped) comes before the failed monitor.
        System.out.println("FIGURE frozen daemon: failed monitor " + mon.millis() + " ms, stop (KILL) " + stop.millis()
                + " ms, freeze to killed " + (System.nanoTime() - frozenAt) / 1_000_000 + " ms + the monitor interval");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !zombie(pid));
        assertEquals(7, run("monitor", MONITOR).rc());
    }

    @Test
    void startDoesNotTakeAnotherProcessAnsweringTheHealthUrlForItsDaemon() throws Exception {
        int port = Integer.parseInt(params.get("health_url").replaceAll(".*:(\\d+)/.*", "$1"));
        com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 8);
        other.createContext("/", x -> {
            byte[] body =
                    "{\"live\":true,\"state\":\"running\",\"pid\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        other.start();
        try {
            OcfSandbox.Result start = run("start", START);
            assertEquals(1, start.rc(), "another daemon's answer must not make the start succeed: " + start.stderr());
            assertTrue(start.exitReason().contains("pid 1"), start.stderr());
            assertEquals(7, run("monitor", MONITOR).rc(), "the daemon we started is gone");
        } finally {
            other.stop(0);
        }
    }

    @Test
    void validateRunsTheDaemonsOwnConfigurationCheck() throws Exception {
        Path config = Path.of(params.get("config"));
        Files.writeString(config, Files.readString(config).replaceAll("http.port = \\d+", "http.port = notaport"));
        OcfSandbox.Result v = run("validate-all", Map.of());
        assertEquals(6, v.rc(), v.stderr());
        assertTrue(v.exitReason().contains("http.port"), v.stderr());
        Files.writeString(config, Files.readString(config).replace("node.id = pbx1\n", ""));
        OcfSandbox.Result noNode = run("validate-all", Map.of());
        assertEquals(6, noNode.rc(), noNode.stderr());
    }

    @Test
    void aDaemonOnAnotherConfigIsNotOurs() throws Exception {
        Process foreign = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(Path.of(params.get("pidfile")), foreign.pid() + "\n");
            assertEquals(7, run("monitor", MONITOR).rc());
            assertEquals(0, run("stop", Map.of()).rc());
            assertTrue(foreign.isAlive(), "stop must not signal a process that is not our daemon");
        } finally {
            foreign.destroyForcibly();
        }
    }

    @Test
    void badParametersAreNamedAndStopStillWorks() {
        params.put("config", box.dir.resolve("missing.properties").toString());
        OcfSandbox.Result v = run("validate-all", Map.of());
        assertEquals(6, v.rc());
        assertTrue(v.exitReason().contains("missing.properties"), v.stderr());
        assertEquals(0, run("stop", Map.of()).rc(), "stop never validates");
        params.put("agent_cli", "/nonexistent/pbx-agent");
        assertEquals(
                7,
                run("monitor", Map.of("interval", "0", "timeout", "10000")).rc(),
                "a probe where the agent is not installed says 'not running'");
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
