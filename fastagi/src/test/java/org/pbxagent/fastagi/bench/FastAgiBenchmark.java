package org.pbxagent.fastagi.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;

/**
 * FastAGI benchmarks, one run printing every figure. Each server runs in its own child JVM (same JVM options) so its
 * CPU and memory are its own; one load client ({@link AgiLoadClient}, one thread) plays Asterisk against all of them
 * the way res_agi does (one command per readiness of the socket, Nagle on, each reply line its own write).
 *
 * <ol>
 *   <li>{@code route} decisions/s at 4, 64 and 1,000 concurrent connections: this server with the real route script
 *       over the sample routing data (one {@code EXEC MSet}), a floor server sending the same command line
 *       lock-step and nothing else, and asterisk-java's DefaultAgiServer running a script that sets the same
 *       variables one by one with its {@code setVariable}; rounds alternate between the servers, ratios per round.</li>
 *   <li>The time one AGI step holds the channel (connect to the moment the dialplan goes on), p50/p99 at 150 and at
 *       1,000 decisions/s offered, in rounds alternating with the floor server.</li>
 *   <li>Server CPU per decision at 150/s and at saturation, with the server's RSS and threads.</li>
 *   <li>5,000 sessions held open at once on {@code WAIT FOR DIGIT}.</li>
 * </ol>
 * Run: {@code ulimit -n 65536; mvn -B -o -pl fastagi -am test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=org.pbxagent.fastagi.bench.FastAgiBenchmark}
 */
public final class FastAgiBenchmark {
    private static final long SEC = 1_000_000_000L;
    private static final int ROUNDS = 3;
    private static final long CELL = 2 * SEC;
    private static final List<String> JVM = List.of("-Xms128m", "-Xmx512m", "-XX:+UseG1GC");

    private FastAgiBenchmark() {}

    @SuppressWarnings(
            "try") // servers done with are closed early (close is idempotent) so they stop loading the machine
    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        long t0 = System.nanoTime();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("channel", "SIP/127.0.0.1-00000005");
        env.put("uniqueid", "1795544721.5");
        env.put("callerid", "5551234");
        env.put("calleridname", "sipp");
        env.put("dnid", "100");
        env.put("context", "from-kamailio");
        env.put("extension", "100");
        env.put("priority", "3");
        env.put("threadid", "140558018029248");
        List<byte[]> routeEnv = AgiCallClient.environmentLines(
                "127.0.0.1", 4573, "route?tenant=acme&did=100", env, List.of("arg1", "arg two"));
        List<byte[]> holdEnv = AgiCallClient.environmentLines("127.0.0.1", 4573, "hold?ms=600000", env, List.of());

        System.out.printf(
                "FastAGI benchmark: %d cores, Java %s, server JVMs %s, load average %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), JVM, loadAverage());
        try (BenchServerProcess pbx = new BenchServerProcess("pbx", JVM);
                BenchServerProcess floor = new BenchServerProcess("floor", JVM);
                BenchServerProcess aj = new BenchServerProcess("asterisk-java", JVM)) {
            for (BenchServerProcess s : List.of(pbx, floor, aj)) {
                AgiCallResult sample = new AgiCallClient()
                        .call(
                                "127.0.0.1",
                                s.port,
                                "route?tenant=acme&did=100",
                                env,
                                List.of("arg1", "arg two"),
                                Duration.ofSeconds(10));
                System.out.printf(
                        "%-14s %d round trips, step held the channel %.2f ms: %s%n",
                        s.kind, sample.roundTrips(), sample.holdNanos() / 1e6, sample.commands());
            }

            // 1. Throughput ratios. Each server JVM is warmed up first so that JIT compilation is not measured.
            for (BenchServerProcess s : List.of(floor, pbx, aj)) {
                closed(s, routeEnv, 64, 3 * SEC);
            }
            System.out.println();
            System.out.println(
                    "1. route decisions/s, closed loop, after 3 s warm-up per server; " + ROUNDS
                            + " rounds of 0.5 s settle + 2 s measured per cell, servers alternating; medians of the per-round ratios");
            System.out.println("   (in brackets: server process CPU per decision, microseconds)");
            System.out.printf(
                    "%-12s %16s %16s %18s %10s %18s %22s%n",
                    "connections",
                    "floor/s",
                    "pbx-agent/s",
                    "asterisk-java/s",
                    "pbx/floor",
                    "pbx/asterisk-java",
                    "CPU floor/pbx, aj/pbx");
            for (int conc : new int[] {4, 64, 1000}) {
                double[][] f = new double[ROUNDS][];
                double[][] p = new double[ROUNDS][];
                double[][] a = new double[ROUNDS][];
                double[] rf = new double[ROUNDS];
                double[] ra = new double[ROUNDS];
                for (int i = 0; i < ROUNDS; i++) {
                    f[i] = closed(floor, routeEnv, conc, CELL);
                    p[i] = closed(pbx, routeEnv, conc, CELL);
                    a[i] = closed(aj, routeEnv, conc, CELL);
                    rf[i] = p[i][0] / f[i][0];
                    ra[i] = p[i][0] / a[i][0];
                }
                double fc = median(f, 1);
                double pc = median(p, 1);
                double ac = median(a, 1);
                System.out.printf(
                        "%-12d %9.0f (%4.0f) %9.0f (%4.0f) %11.0f (%4.0f) %10.2f %18.2f %13.2f, %5.2f%n",
                        conc,
                        median(f, 0),
                        fc,
                        median(p, 0),
                        pc,
                        median(a, 0),
                        ac,
                        median(rf),
                        median(ra),
                        fc / pc,
                        ac / pc);
            }
            for (BenchServerProcess s : List.of(floor, pbx, aj)) {
                Map<String, Long> st = s.stats();
                System.out.printf(
                        "after the runs: %-14s RSS %4d MiB, %4d threads%n",
                        s.kind, st.get("rssKiB") / 1024, st.get("threads"));
            }
            System.out.println("load average " + loadAverage());

            // asterisk-java is done: stop it (hundreds of idle threads) before the latency rounds.
            aj.close();

            // 2. Step hold time at a fixed offered rate, in rounds alternating with the floor server under the same
            // client: a tail the floor shares in the same round comes from the machine, not from the server.
            System.out.println();
            System.out.println(
                    "2. time the AGI step holds the channel (connect to the dialplan's next priority, as the peer sees it),"
                            + " open loop, from the scheduled start; " + ROUNDS
                            + " rounds per rate, servers alternating");
            try (AgiLoadClient cp = new AgiLoadClient(pbx.port, routeEnv);
                    AgiLoadClient cf = new AgiLoadClient(floor.port, routeEnv)) {
                cp.openLoop(1000, 0, SEC);
                cf.openLoop(1000, 0, SEC);
                for (int rate : new int[] {150, 1000}) {
                    long cell = rate < 500 ? 4 * SEC : 3 * SEC;
                    for (int i = 0; i < ROUNDS; i++) {
                        AgiLoadClient.Result rp = cp.openLoop(rate, 0, cell);
                        AgiLoadClient.Result rf = cf.openLoop(rate, 0, cell);
                        System.out.printf(
                                "%4d/s round %d  pbx-agent: %s, errors %d%n",
                                rate, i + 1, percentiles(rp.latenciesNanos()), rp.errors());
                        System.out.printf(
                                "               floor:     %s, errors %d%n",
                                percentiles(rf.latenciesNanos()), rf.errors());
                    }
                }
            }
            floor.close();
            System.out.println("load average " + loadAverage());

            // 3. CPU per decision.
            System.out.println();
            System.out.println(
                    "3. server CPU per route decision (process CPU of the server JVM incl. GC/JIT; selector thread alone)");
            cpu(pbx, routeEnv, "150 decisions/s", c -> c.openLoop(150, 2 * SEC, 8 * SEC));
            cpu(pbx, routeEnv, "saturation (64 connections)", c -> c.closedLoop(64, SEC, 4 * SEC));
            System.out.println("load average " + loadAverage());

            // 4. Sessions held at once.
            System.out.println();
            System.out.println("4. 5,000 sessions held open at once on WAIT FOR DIGIT (hold script)");
            pbx.gc();
            long rssBefore = pbx.stats().get("rssKiB");
            long[] seen = new long[3];
            long[] res;
            try (AgiLoadClient c = new AgiLoadClient(pbx.port, holdEnv)) {
                res = c.hold(5000, 60 * SEC, () -> {
                    try {
                        Map<String, Long> s = pbx.stats();
                        seen[0] = s.get("inflight");
                        seen[1] = s.get("rssKiB");
                        seen[2] = s.get("threads");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            System.out.printf(
                    "held %d, refused %d, server sessions in flight %d, completed after release %d, errors %d%n",
                    res[0], res[1], seen[0], res[2], res[3]);
            System.out.printf(
                    "server RSS idle %d MiB, with 5,000 held %d MiB (%.1f KiB per session incl. heap growth), %d JVM threads%n",
                    rssBefore / 1024, seen[1] / 1024, (seen[1] - rssBefore) / 5000.0, seen[2]);
        }
        System.out.printf("%ntotal %.0f s, load average %s%n", (System.nanoTime() - t0) / 1e9, loadAverage());
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                    .split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** Sessions/s and the server's process CPU per session in microseconds (over warm-up, measure and drain). */
    private static double[] closed(BenchServerProcess server, List<byte[]> env, int conc, long measure)
            throws Exception {
        Map<String, Long> before = server.stats();
        try (AgiLoadClient c = new AgiLoadClient(server.port, env)) {
            AgiLoadClient.Result r = c.closedLoop(conc, SEC / 2, measure);
            Map<String, Long> after = server.stats();
            if (r.errors() > 0) {
                System.out.printf(
                        "  (%s at %d connections: %d errors %s)%n", server.kind, conc, r.errors(), c.errorKinds);
            }
            long sessions = c.totalSessions;
            double cpuUs = (after.get("processCpuNs") - before.get("processCpuNs")) / 1e3 / Math.max(1, sessions);
            return new double[] {r.perSecond(), cpuUs};
        }
    }

    interface Run {
        AgiLoadClient.Result run(AgiLoadClient c) throws Exception;
    }

    private static void cpu(BenchServerProcess pbx, List<byte[]> env, String label, Run run) throws Exception {
        Map<String, Long> before = pbx.stats();
        AgiLoadClient.Result r;
        try (AgiLoadClient c = new AgiLoadClient(pbx.port, env)) {
            r = run.run(c);
        }
        Map<String, Long> after = pbx.stats();
        long served = after.get("served") - before.get("served");
        double proc = (after.get("processCpuNs") - before.get("processCpuNs")) / 1e6 / served;
        double io = (after.get("ioThreadCpuNs") - before.get("ioThreadCpuNs")) / 1e6 / served;
        System.out.printf(
                "%-28s decisions %7d (%.0f/s measured), CPU/decision: process %.3f ms, selector thread %.3f ms; RSS %d MiB, %d threads%n",
                label, served, r.perSecond(), proc, io, after.get("rssKiB") / 1024, after.get("threads"));
    }

    private static double median(double[][] rows, int col) {
        double[] v = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            v[i] = rows[i][col];
        }
        return median(v);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String percentiles(long[] nanos) {
        if (nanos.length == 0) {
            return "no samples";
        }
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format(
                "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (n=%d)",
                at(s, 0.50), at(s, 0.99), at(s, 0.999), s[s.length - 1] / 1e6, s.length);
    }

    private static double at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
