package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * pbx-kamailio (the resource agent) running the real Kamailio on the shipped etc/kamailio/kamailio.cfg, under
 * ocf-tester and by hand, inside a network namespace of its own so that SIP is on 127.0.0.1:5060 as on a proxy
 * (sipsak, the agent's SIP check, writes five-digit ports wrongly).
 */
class PbxKamailioAgentIT {

    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Map<String, String> START = Map.of("timeout", "30000");
    private static final Map<String, String> MONITOR = Map.of("interval", "2000", "timeout", "10000");

    private Path dir;
    private Path agent;
    private Process netns;
    private Map<String, String> params;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("pbx-kamailio-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path scripts = Path.of(System.getProperty("ocf.scripts.dir", "."));
        agent = Files.copy(scripts.resolve("pbx-kamailio"), dir.resolve("pbx-kamailio"));
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(scripts.resolve(OcfSandbox.LIBRARY), dir.resolve(OcfSandbox.LIBRARY));
        Files.copy(
                scripts.resolve("../etc/kamailio/kamailio.cfg"),
                dir.resolve("kamailio.cfg"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(
                dir.resolve("kamailio-local.cfg"),
                "#!define SIP_IP 127.0.0.1\n"
                        + "#!define CTL_SOCKET \"unix:" + dir.resolve("ctl") + "\"\n"
                        + "#!define DS_LIST \"" + dir.resolve("dispatcher.list") + "\"\n");
        Files.writeString(dir.resolve("dispatcher.list"), "1 sip:127.0.0.2:5080 0 0\n");
        netns = new ProcessBuilder("unshare", "--net", "sh", "-c", "ip link set lo up && exec sleep 600")
                .redirectErrorStream(true)
                .start();
        // sleep runs once the namespace's loopback is up.
        PacemakerCluster.waitFor(
                Duration.ofSeconds(10),
                () -> netns.info().command().orElse("").endsWith("sleep"),
                "the network namespace");
        params = new HashMap<>();
        params.put("conffile", dir.resolve("kamailio.cfg").toString());
        params.put("pidfile", dir.resolve("run/kamailio.pid").toString());
        params.put("sip_address", "127.0.0.1");
        params.put("sip_port", "5060");
    }

    @AfterEach
    void tearDown() throws IOException {
        run("stop", params, START);
        netns.destroyForcibly();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** Inside the namespace: nsenter into the holder's network namespace (the holder is the sleep itself). */
    private List<String> inNetns(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(netns.pid()), "-n", "--"));
        cmd.addAll(List.of(argv));
        return cmd;
    }

    private OcfSandbox.Result run(String action, Map<String, String> p, Map<String, String> meta) {
        return OcfSandbox.run(inNetns(), agent, action, p, meta, Map.of(), LIMIT);
    }

    /** Every process of the instance: the main one and its children, by the pid file in their argv. */
    private List<ProcessHandle> instance() {
        String pidfile = params.get("pidfile");
        return ProcessHandle.allProcesses()
                .filter(h -> h.info()
                        .arguments()
                        .map(a -> List.of(a).contains(pidfile))
                        .orElse(false))
                .toList();
    }

    @Test
    void passesOcfTester() {
        List<String> cmd = new ArrayList<>(List.of("ocf-tester", "-n", "kamailio-under-test"));
        params.forEach((k, v) -> {
            cmd.add("-o");
            cmd.add(k + "=" + v);
        });
        cmd.add(agent.toString());
        OcfSandbox.Result r = OcfSandbox.exec(new ProcessBuilder(inNetns(cmd.toArray(String[]::new))), LIMIT);
        assertEquals(0, r.rc(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("passed all tests"), r.stdout());
    }

    @Test
    void aKamailioThatStopsAnsweringSipFailsItsMonitorAndStopEndsIt() {
        assertEquals(0, run("start", params, START).rc());
        assertEquals(0, run("monitor", params, MONITOR).rc());
        List<ProcessHandle> before = instance();
        assertTrue(before.size() > 1, "kamailio and its children: " + before);
        for (ProcessHandle h : before) {
            OcfSandbox.signal(h.pid(), "STOP");
        }
        OcfSandbox.Result m = run("monitor", params, MONITOR);
        assertEquals(1, m.rc(), m.stdout() + m.stderr());
        assertTrue(m.exitReason().contains("does not answer OPTIONS on 127.0.0.1:5060"), m.stderr());
        // Stopped processes cannot act on TERM: the stop's KILL ends them within its timeout.
        OcfSandbox.Result stop = run("stop", params, Map.of("timeout", "6000"));
        assertEquals(0, stop.rc(), stop.stdout() + stop.stderr());
        assertEquals(List.of(), instance());
    }

    @Test
    void childrenLeftByADeadMainProcessAreEndedBeforeARestart() throws InterruptedException {
        assertEquals(0, run("start", params, START).rc());
        long main = OcfSandbox.pidIn(Path.of(params.get("pidfile")));
        OcfSandbox.signal(main, "KILL");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(10), () -> ProcessHandle.of(main).isEmpty(), "the main process gone");
        // Its children still hold the SIP port and serve: not a running resource, and no start over them.
        assertTrue(!instance().isEmpty(), "no orphaned children to test with");
        assertEquals(7, run("monitor", params, MONITOR).rc());
        OcfSandbox.Result start = run("start", params, START);
        assertEquals(1, start.rc(), start.stdout() + start.stderr());
        assertTrue(start.exitReason().contains("still there"), start.stderr());
        assertEquals(0, run("stop", params, START).rc());
        assertEquals(List.of(), instance());
        assertEquals(0, run("start", params, START).rc());
        assertEquals(0, run("monitor", params, MONITOR).rc());
    }

    @Test
    void badParametersAndABrokenConfigurationAreNamed() throws IOException {
        Map<String, String> longPort = new HashMap<>(params);
        longPort.put("sip_port", "15060");
        OcfSandbox.Result v = run("validate-all", longPort, Map.of());
        assertEquals(6, v.rc(), v.stderr());
        assertTrue(v.exitReason().contains("from 1 to 9999"), v.stderr());

        Files.writeString(
                dir.resolve("kamailio.cfg"), "\nroute {\n\tthis is not kamailio\n}\n", StandardOpenOption.APPEND);
        OcfSandbox.Result broken = run("validate-all", params, Map.of());
        assertEquals(6, broken.rc(), broken.stderr());
        assertTrue(broken.exitReason().contains("kamailio.cfg"), broken.stderr());
        OcfSandbox.Result start = run("start", params, START);
        assertEquals(1, start.rc(), start.stderr());
        assertTrue(start.exitReason().startsWith("ocf-exit-reason:kamailio exited with"), start.stderr());
        assertEquals(List.of(), instance());
    }
}
