package org.pbxagent.ocf;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one Pacemaker monitor of pbx-asterisk costs in wall time, since the 1 s monitor interval of the shipped
 * configuration pays it every second: the crash path (/proc only), the full depth-0 monitor (JVM start + AMI login
 * and Ping), depth 10 (plus the call count), and the asterisk-probe command alone. Prints median and p95 of N runs.
 *
 * <pre>
 * mvn -B -o -pl ocf-scripts -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.pbxagent.ocf.MonitorCostBenchmark -Docf.scripts.dir=ocf-scripts
 * </pre>
 */
public final class MonitorCostBenchmark {

    private static final int RUNS = 40;

    public static void main(String[] args) throws Exception {
        if (System.getProperty("agent.cli.classpath") == null) {
            // Under exec:java the test classpath is the context loader's, not java.class.path.
            URL[] urls = ((URLClassLoader) Thread.currentThread().getContextClassLoader()).getURLs();
            System.setProperty("agent.cli.classpath", Arrays.stream(urls).map(u -> {
                try {
                    return Path.of(u.toURI()).toString();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).collect(Collectors.joining(java.io.File.pathSeparator)));
        }
        try (OcfSandbox box = new OcfSandbox()) {
            int port = OcfSandbox.freePort();
            Map<String, String> params = box.asteriskParams("bench", port, "");
            Map<String, String> monitor = Map.of("interval", "1000", "timeout", "10000");
            check(box.run("pbx-asterisk", "start", params, Map.of("timeout", "30000"), Duration.ofSeconds(60)), "start");
            report("pbx-asterisk monitor, depth 0 (proc + AMI login/Ping)",
                    time(() -> box.run("pbx-asterisk", "monitor", params, monitor, Duration.ofSeconds(20))));
            report("pbx-asterisk monitor, depth 10 (+ core show channels count)",
                    time(() -> box.run("pbx-asterisk", "monitor", params, monitor, Map.of("OCF_CHECK_LEVEL", "10"),
                            Duration.ofSeconds(20))));
            List<String> probe = List.of(box.launcher.toString(), "asterisk-probe", "--port", Integer.toString(port),
                    "--user", OcfSandbox.AMI_USER, "--secret-file", box.secretFile.toString());
            report("pbx-agent asterisk-probe alone (JVM start + AMI)",
                    time(() -> OcfSandbox.exec(new ProcessBuilder(probe), Duration.ofSeconds(20))));
            check(box.run("pbx-asterisk", "stop", params, Map.of("timeout", "30000"), Duration.ofSeconds(60)), "stop");
            report("pbx-asterisk monitor of a crashed Asterisk (/proc only, no JVM)",
                    time(() -> box.run("pbx-asterisk", "monitor", params, monitor, Duration.ofSeconds(20))));
        }
    }

    private interface Run {
        OcfSandbox.Result once();
    }

    private static long[] time(Run run) {
        long[] ms = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            ms[i] = run.once().millis();
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void report(String what, long[] sorted) {
        System.out.printf("%-66s median %4d ms  p95 %4d ms  max %4d ms  (n=%d)%n", what, sorted[sorted.length / 2],
                sorted[(int) Math.ceil(sorted.length * 0.95) - 1], sorted[sorted.length - 1], sorted.length);
    }

    private static void check(OcfSandbox.Result r, String what) {
        if (r.rc() != 0) {
            throw new IllegalStateException(what + " failed: " + r.stderr());
        }
    }

    private MonitorCostBenchmark() {
    }
}
