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
 * CPU and memory are its own; one load client ({@link AgiLoadClient}, one thread) plays Asterisk against all of them.
 *
 * <ol>
 *   <li>{@code route} sessions/s at 4, 64 and 1,000 concurrent connections: this server with the real route script
 *       over the sample routing data, a bare floor server, and asterisk-java's DefaultAgiServer running a script that
 *       does nothing; ratios taken in the same run.</li>
 *   <li>p50/p99 latency of {@code route} at 1,000 sessions/s offered (open loop, from the scheduled start).</li>
 *   <li>5,000 sessions held open at once on {@code WAIT FOR DIGIT}.</li>
 *   <li>CPU per {@code route} decision at 150 sessions/s and at saturation, with the server's RSS.</li>
 * </ol>
 * Run: {@code ulimit -n 65536; mvn -B -o -pl fastagi -am test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=org.pbxagent.fastagi.bench.FastAgiBenchmark}
 */
public final class FastAgiBenchmark {
    private static final long SEC = 1_000_000_000L;
    private static final int ROUNDS = 3;
    private static final long CELL = 2_500_000_000L;
    private static final List<String> JVM = List.of("-Xms128m", "-Xmx512m", "-XX:+UseG1GC");

    private FastAgiBenchmark() {}

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
        byte[] routeEnv = AgiCallClient.environmentBlock("127.0.0.1", 4573, "route?tenant=acme&did=100", env,
                List.of("arg1", "arg two"));
        byte[] holdEnv = AgiCallClient.environmentBlock("127.0.0.1", 4573, "hold?ms=600000", env, List.of());

        System.out.printf("FastAGI benchmark: %d cores, Java %s, server JVMs %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), JVM);
        try (BenchServerProcess pbx = new BenchServerProcess("pbx", JVM);
             BenchServerProcess floor = new BenchServerProcess("floor", JVM);
             BenchServerProcess aj = new BenchServerProcess("asterisk-java", JVM)) {
            AgiCallResult sample = new AgiCallClient().call("127.0.0.1", pbx.port, "route?tenant=acme&did=100", env,
                    List.of("arg1", "arg two"), Duration.ofSeconds(5));
            System.out.println("route decision under test: " + sample.variablesSet());

            // 1. Throughput ratios. Each server JVM is warmed up first so that JIT compilation is not measured.
            for (BenchServerProcess s : List.of(floor, pbx, aj)) closed(s, routeEnv, 64, s == aj, 4 * SEC);
            System.out.println();
            System.out.println("1. route sessions/s, closed loop, after 4 s warm-up per server; " + ROUNDS
                    + " rounds of 0.5 s settle + 2.5 s measured per cell, servers interleaved; medians");
            System.out.println("   (in brackets: server process CPU per session, microseconds)");
            System.out.printf("%-12s %16s %16s %18s %10s %18s %22s%n", "connections", "floor/s", "pbx-agent/s",
                    "asterisk-java/s", "pbx/floor", "pbx/asterisk-java", "CPU floor/pbx, aj/pbx");
            for (int conc : new int[] {4, 64, 1000}) {
                double[][] f = new double[ROUNDS][];
                double[][] p = new double[ROUNDS][];
                double[][] a = new double[ROUNDS][];
                double[] rf = new double[ROUNDS];
                double[] ra = new double[ROUNDS];
                for (int i = 0; i < ROUNDS; i++) {
                    f[i] = closed(floor, routeEnv, conc, false, CELL);
                    p[i] = closed(pbx, routeEnv, conc, false, CELL);
                    a[i] = closed(aj, routeEnv, conc, true, CELL);
                    rf[i] = p[i][0] / f[i][0];
                    ra[i] = p[i][0] / a[i][0];
                }
                double fc = median(f, 1);
                double pc = median(p, 1);
                double ac = median(a, 1);
                System.out.printf("%-12d %9.0f (%4.0f) %9.0f (%4.0f) %11.0f (%4.0f) %10.2f %18.2f %13.2f, %5.2f%n", conc,
                        median(f, 0), fc, median(p, 0), pc, median(a, 0), ac, median(rf), median(ra), fc / pc, ac / pc);
            }
            Map<String, Long> fs = floor.stats();
            Map<String, Long> as = aj.stats();
            System.out.printf("RSS after the runs: floor %d MiB, asterisk-java %d MiB (%d threads)%n",
                    fs.get("rssKiB") / 1024, as.get("rssKiB") / 1024, as.get("threads"));

            // asterisk-java is done: stop it (hundreds of idle threads) before the latency rounds.
            aj.close();

            // 2. Latency at a fixed offered rate, in rounds alternating with the floor server under the same client: a
            // tail the floor shares in the same round comes from the machine, not from the server.
            System.out.println();
            System.out.println("2. latency at 1,000 sessions/s offered (open loop, from the scheduled start; 2 s warm-up each, then "
                    + ROUNDS + " rounds of 3 s per server, alternating); session done = all replies read and server closed");
            try (AgiLoadClient cp = new AgiLoadClient(pbx.port, routeEnv);
                 AgiLoadClient cf = new AgiLoadClient(floor.port, routeEnv)) {
                cp.openLoop(1000, 0, 2 * SEC);
                cf.openLoop(1000, 0, 2 * SEC);
                for (int i = 0; i < ROUNDS; i++) {
                    AgiLoadClient.Result rp = cp.openLoop(1000, 0, 3 * SEC);
                    AgiLoadClient.Result rf = cf.openLoop(1000, 0, 3 * SEC);
                    System.out.printf("round %d  pbx-agent route, first SET VARIABLE: %s%n", i + 1, percentiles(rp.firstCommandNanos()));
                    System.out.printf("         pbx-agent route, session done:     %s, errors %d%n", percentiles(rp.latenciesNanos()), rp.errors());
                    System.out.printf("         floor, session done:               %s, errors %d%n", percentiles(rf.latenciesNanos()), rf.errors());
                }
            }
            floor.close();

            // 3. CPU per decision.
            System.out.println();
            System.out.println("3. server CPU per route decision (process CPU of the server JVM incl. GC/JIT; selector thread alone)");
            cpu(pbx, routeEnv, "150 sessions/s", c -> c.openLoop(150, 2 * SEC, 10 * SEC));
            cpu(pbx, routeEnv, "saturation (64 connections)", c -> c.closedLoop(64, SEC, 5 * SEC));

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
            System.out.printf("held %d, refused %d, server sessions in flight %d, completed after release %d, errors %d%n",
                    res[0], res[1], seen[0], res[2], res[3]);
            System.out.printf("server RSS idle %d MiB, with 5,000 held %d MiB (%.1f KiB per session incl. heap growth), %d JVM threads%n",
                    rssBefore / 1024, seen[1] / 1024, (seen[1] - rssBefore) / 5000.0, seen[2]);
        }
        System.out.printf("%ntotal %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** Sessions/s and the server's process CPU per session in microseconds (over warm-up, measure and drain). */
    private static double[] closed(BenchServerProcess server, byte[] env, int conc, boolean noCommands, long measure)
            throws Exception {
        Map<String, Long> before = server.stats();
        long done0 = before.get("served");
        try (AgiLoadClient c = new AgiLoadClient(server.port, env)) {
            c.acceptNoCommands = noCommands;
            AgiLoadClient.Result r = c.closedLoop(conc, SEC / 2, measure);
            Map<String, Long> after = server.stats();
            if (r.errors() > 0) {
                System.out.printf("  (%s at %d connections: %d errors %s)%n", server.kind, conc, r.errors(), c.errorKinds);
            }
            long sessions = c.totalSessions;
            double cpuUs = (after.get("processCpuNs") - before.get("processCpuNs")) / 1e3 / Math.max(1, sessions);
            return new double[] {r.perSecond(), cpuUs};
        }
    }

    interface Run {
        AgiLoadClient.Result run(AgiLoadClient c) throws Exception;
    }

    private static void cpu(BenchServerProcess pbx, byte[] env, String label, Run run) throws Exception {
        Map<String, Long> before = pbx.stats();
        AgiLoadClient.Result r;
        try (AgiLoadClient c = new AgiLoadClient(pbx.port, env)) {
            r = run.run(c);
        }
        Map<String, Long> after = pbx.stats();
        long served = after.get("served") - before.get("served");
        double proc = (after.get("processCpuNs") - before.get("processCpuNs")) / 1e6 / served;
        double io = (after.get("ioThreadCpuNs") - before.get("ioThreadCpuNs")) / 1e6 / served;
        System.out.printf("%-28s decisions %7d (%.0f/s measured), CPU/decision: process %.3f ms, selector thread %.3f ms; RSS %d MiB%n",
                label, served, r.perSecond(), proc, io, after.get("rssKiB") / 1024);
    }

    private static double median(double[][] rows, int col) {
        double[] v = new double[rows.length];
        for (int i = 0; i < rows.length; i++) v[i] = rows[i][col];
        return median(v);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String percentiles(long[] nanos) {
        if (nanos.length == 0) return "no samples";
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format("p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (n=%d)", at(s, 0.50), at(s, 0.99),
                at(s, 0.999), s[s.length - 1] / 1e6, s.length);
    }

    private static double at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
