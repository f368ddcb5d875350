package org.pbxagent.ocf;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What Pacemaker's monitors cost a PBX node in CPU (user + system of the agent and every child it waits for), per
 * call and per second at the shipped intervals, for every depth of the three agents, beside heartbeat/Dummy's
 * monitor (which only sources ocf-shellfuncs and tests a file) measured in the same rounds: each round runs Dummy,
 * then the agent, so both see the same machine. The Asterisk is the stand-in (a script: its identity check reads
 * the interpreter line), the daemon is the real one on an embedded MariaDB, the storage an ext4 image on a loop
 * device.
 *
 * <pre>
 * mvn -B -o -pl ocf-scripts -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.pbxagent.ocf.MonitorCostBenchmark -Docf.scripts.dir=ocf-scripts
 * </pre>
 */
public final class MonitorCostBenchmark {

    private static final int RUNS = 40;
    private static final Path DUMMY = Path.of("/usr/lib/ocf/resource.d/heartbeat/Dummy");

    public static void main(String[] args) throws Exception {
        if (System.getProperty("agent.cli.classpath") == null) {
            // Under exec:java the test classpath is the context loader's, not java.class.path.
            URL[] urls = ((URLClassLoader) Thread.currentThread().getContextClassLoader()).getURLs();
            System.setProperty(
                    "agent.cli.classpath",
                    Arrays.stream(urls)
                            .map(u -> {
                                try {
                                    return Path.of(u.toURI()).toString();
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            })
                            .collect(Collectors.joining(java.io.File.pathSeparator)));
        }
        System.out.printf("%-52s %8s %8s %8s   %s%n", "monitor", "median", "p95", "Dummy", "at the shipped interval");
        try (OcfSandbox box = new OcfSandbox()) {
            Map<String, String> dummy =
                    Map.of("state", box.dir.resolve("dummy.state").toString());
            box.cpuMillis(DUMMY, "start", dummy, Map.of(), Map.of()); // Dummy's monitor then finds it running

            // Sections by name (asterisk, agent, storage); none means all.
            List<String> only = Arrays.asList(args);
            if (only.isEmpty() || only.contains("asterisk")) {
                asterisk(box, dummy);
            }
            if (only.isEmpty() || only.contains("agent")) {
                agent(box, dummy);
            }
            if (only.isEmpty() || only.contains("storage")) {
                storage(box, dummy);
            }
        }
    }

    private static void asterisk(OcfSandbox box, Map<String, String> dummy) {
        int port = OcfSandbox.freePort();
        Map<String, String> params = box.asteriskParams("bench", port, "");
        Map<String, String> monitor = Map.of("interval", "1000", "timeout", "10000");
        check(
                box.run("pbx-asterisk", "start", params, Map.of("timeout", "30000"), Duration.ofSeconds(60))
                                .rc()
                        == 0,
                "pbx-asterisk start");
        report(
                box,
                dummy,
                "pbx-asterisk depth 0 (/proc + AMI login/Ping/logoff)",
                1,
                box.agent("pbx-asterisk"),
                params,
                monitor,
                Map.of());
        report(
                box,
                dummy,
                "pbx-asterisk depth 10 (+ core show channels count)",
                30,
                box.agent("pbx-asterisk"),
                params,
                monitor,
                Map.of("OCF_CHECK_LEVEL", "10"));
        check(
                box.run("pbx-asterisk", "stop", params, Map.of("timeout", "30000"), Duration.ofSeconds(60))
                                .rc()
                        == 0,
                "pbx-asterisk stop");
        report(
                box,
                dummy,
                "pbx-asterisk, Asterisk crashed (/proc only)",
                1,
                box.agent("pbx-asterisk"),
                params,
                monitor,
                Map.of());
    }

    private static void agent(OcfSandbox box, Map<String, String> dummy) throws Exception {
        int http = OcfSandbox.freePort();
        Path token = Files.writeString(box.dir.resolve("admin.token"), "t0ken-for-the-monitor-benchmark-0123456789\n");
        Path config = Files.writeString(
                box.dir.resolve("pbx-agent.properties"),
                String.join(
                        "\n",
                        "node.id = pbx1",
                        "node.data-dir = " + box.dir.resolve("data"),
                        "db.url = embedded",
                        "routing.snapshot-file = " + box.dir.resolve("data/routing-snapshot.json"),
                        "fastagi.bind = 127.0.0.1",
                        "fastagi.port = " + OcfSandbox.freePort(),
                        "http.bind = 127.0.0.1",
                        "http.port = " + http,
                        "http.admin-token = file:" + token,
                        "scheduler.enabled = false",
                        "ami.enabled = false",
                        ""));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("agent_cli", box.launcher.toString());
        params.put("config", config.toString());
        params.put("pidfile", box.dir.resolve("pbx-agent.pid").toString());
        params.put("health_url", "http://127.0.0.1:" + http + "/health/live");
        params.put("status_url", "http://127.0.0.1:" + http + "/status");
        params.put("log", box.dir.resolve("console.log").toString());
        Map<String, String> monitor = Map.of("interval", "5000", "timeout", "10000");
        check(
                box.run("pbx-agent", "start", params, Map.of("timeout", "180000"), Duration.ofSeconds(200))
                                .rc()
                        == 0,
                "pbx-agent start");
        try {
            report(
                    box,
                    dummy,
                    "pbx-agent depth 0 (/proc + GET /health/live)",
                    5,
                    box.agent("pbx-agent"),
                    params,
                    monitor,
                    Map.of());
            report(
                    box,
                    dummy,
                    "pbx-agent depth 10 (+ GET /status)",
                    30,
                    box.agent("pbx-agent"),
                    params,
                    monitor,
                    Map.of("OCF_CHECK_LEVEL", "10"));
        } finally {
            box.run("pbx-agent", "stop", params, Map.of("timeout", "60000"), Duration.ofSeconds(90));
        }
    }

    private static void storage(OcfSandbox box, Map<String, String> dummy) throws Exception {
        Path img = box.dir.resolve("shared.img");
        check(
                OcfSandbox.exec(new ProcessBuilder("truncate", "-s", "32M", img.toString()), Duration.ofSeconds(10))
                                .rc()
                        == 0,
                "truncate");
        check(
                OcfSandbox.exec(new ProcessBuilder("mkfs.ext4", "-q", img.toString()), Duration.ofSeconds(60))
                                .rc()
                        == 0,
                "mkfs");
        OcfSandbox.Result attach = OcfSandbox.exec(
                new ProcessBuilder("losetup", "--find", "--show", img.toString()), Duration.ofSeconds(20));
        check(attach.rc() == 0, "losetup");
        String loop = attach.stdout().strip();
        Path mountPoint = box.dir.resolve("shared");
        Path config = Files.writeString(
                box.dir.resolve("storage.properties"),
                String.join(
                        "\n",
                        "node.id = pbx1",
                        "storage.device = " + loop,
                        "storage.mount-point = " + mountPoint,
                        "storage.fs-type = ext4",
                        "storage.probe-budget-ms = 5000",
                        ""));
        Map<String, String> params = Map.of("agent_cli", box.launcher.toString(), "config", config.toString());
        try {
            check(
                    box.run("pbx-storage", "start", params, Map.of("timeout", "90000"), Duration.ofSeconds(120))
                                    .rc()
                            == 0,
                    "pbx-storage start");
            report(
                    box,
                    dummy,
                    "pbx-storage depth 0 (/proc/mounts, sysfs, dd direct read)",
                    5,
                    box.agent("pbx-storage"),
                    params,
                    Map.of("interval", "5000", "timeout", "20000"),
                    Map.of());
            report(
                    box,
                    dummy,
                    "pbx-storage depth 10 (JVM: + direct read)",
                    30,
                    box.agent("pbx-storage"),
                    params,
                    Map.of("interval", "30000", "timeout", "30000"),
                    Map.of("OCF_CHECK_LEVEL", "10"));
            report(
                    box,
                    dummy,
                    "pbx-storage depth 20 (JVM: + write, read back)",
                    60,
                    box.agent("pbx-storage"),
                    params,
                    Map.of("interval", "60000", "timeout", "40000"),
                    Map.of("OCF_CHECK_LEVEL", "20"));
        } finally {
            box.run("pbx-storage", "stop", params, Map.of("timeout", "90000"), Duration.ofSeconds(120));
            OcfSandbox.exec(new ProcessBuilder("losetup", "-d", loop), Duration.ofSeconds(20));
        }
    }

    /** RUNS rounds of Dummy then the agent; prints the agent's median and p95 and Dummy's median, in ms of CPU. */
    private static void report(
            OcfSandbox box,
            Map<String, String> dummy,
            String what,
            int intervalSeconds,
            Path agent,
            Map<String, String> params,
            Map<String, String> meta,
            Map<String, String> env) {
        double[] ours = new double[RUNS];
        double[] floor = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            floor[i] = box.cpuMillis(DUMMY, "monitor", dummy, meta, Map.of());
            ours[i] = box.cpuMillis(agent, "monitor", params, meta, env);
        }
        Arrays.sort(ours);
        Arrays.sort(floor);
        double median = ours[RUNS / 2];
        System.out.printf(
                "%-52s %5.1f ms %5.1f ms %5.1f ms   every %2d s: %.2f ms CPU/s (%.3f %% of a core)%n",
                what,
                median,
                ours[(int) Math.ceil(RUNS * 0.95) - 1],
                floor[RUNS / 2],
                intervalSeconds,
                median / intervalSeconds,
                median / intervalSeconds / 10.0);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what + " failed");
        }
    }

    private MonitorCostBenchmark() {}
}
