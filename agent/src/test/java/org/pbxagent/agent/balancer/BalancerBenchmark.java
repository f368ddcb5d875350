package org.pbxagent.agent.balancer;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.ami.AsteriskWatch;
import org.pbxagent.agent.load.LoadMonitor;
import org.pbxagent.agent.load.LoadSettings;
import org.pbxagent.agent.load.NodeLoad;

/**
 * Figures of the balancer against a real Kamailio 5.6 running the shipped kamailio.cfg:
 * <ol>
 *   <li>NodeLoad published → new score readable in Kamailio ({@code htable.get}), p50/p99/max;</li>
 *   <li>AMI event (a call up or down on an AMI peer replaying Asterisk 20's events) → AMI watch → load monitor →
 *       reporter → new score readable in Kamailio, p50/p99/max;</li>
 *   <li>drain() called → Kamailio confirmed the disabled state (the next INVITE it routes avoids this PBX),
 *       p50/p99/max;</li>
 *   <li>the JVM's CPU while reporting at the default 1 s interval, and its RSS.</li>
 * </ol>
 * Arguments: [iterations, default 200]. Scores are read by polling {@code htable.get} every millisecond or so on the
 * operator's RPC socket from 127.0.0.1, so each figure includes up to one poll round trip.
 */
public final class BalancerBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path dir = Files.createTempDirectory("balancer-bench");
        String pbx1 = "sip:127.0.0.2:" + RealParts.freePort("127.0.0.2", "127.0.0.3");
        String pbx2 = pbx1.replace("127.0.0.2", "127.0.0.3");
        KamailioProcess kamailio = new KamailioProcess(
                dir, RealParts.freePort("127.0.0.1"), RealParts.freePort("127.0.0.1"), List.of(pbx1, pbx2));
        try (KamailioRpc rpc = KamailioProcess.probeFrom("127.0.0.2")) {
            kamailio.start();
            List<URI> urls = List.of(kamailio.rpcUrl());
            BalancerTarget target = new BalancerTarget(1, pbx1, "pbxload", pbx1, Duration.ofSeconds(3));

            // 1. NodeLoad -> Kamailio.
            List<Long> pushMicros = new ArrayList<>();
            try (LoadReporter reporter = new LoadReporter(
                    urls, target, rpc, Duration.ofSeconds(5), Duration.ofSeconds(1), Clock.systemUTC())) {
                reporter.start();
                for (int i = 0; i < n + 20; i++) {
                    int score = 10 + (i % 80);
                    long t0 = System.nanoTime();
                    reporter.onLoad(new NodeLoad(true, "", 1, 2, 100, 0.1, 0.2, 0, score, Instant.now()));
                    waitForScore(kamailio, pbx1, score, 5000);
                    if (i >= 20) {
                        pushMicros.add((System.nanoTime() - t0) / 1000);
                    }
                }
            }
            print("NodeLoad -> score in Kamailio (ms)", pushMicros);

            // 2. AMI event -> Kamailio, through the real AMI watch and load monitor.
            List<Long> amiMicros = new ArrayList<>();
            double cpuPercent;
            try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
                peer.setCallsQuietly(0);
                AsteriskWatch watch =
                        new AsteriskWatch(AmiSettings.defaults("127.0.0.1", peer.port(), "agent", "agentsecret"));
                // One call = full: a call up takes the score to 100, its hangup back to the CPU/memory part (the
                // machine's own load), so each AMI event has an unmistakable effect in Kamailio.
                // A frozen copy of /proc/stat: the CPU part stays 0, so builds running on the machine at the same
                // time cannot mask the call's effect (memory is read live).
                Path stat = Files.copy(Path.of("/proc/stat"), dir.resolve("stat"));
                LoadMonitor monitor = new LoadMonitor(
                        new LoadSettings(1000, 1, 1.0, 1.0, 100, 5, new int[] {50, 80, 95}, 2),
                        watch::current,
                        () -> 0,
                        stat,
                        Path.of("/proc/meminfo"));
                watch.addListener(monitor);
                try (LoadReporter reporter = new LoadReporter(
                        urls, target, rpc, Duration.ofSeconds(5), Duration.ofSeconds(1), Clock.systemUTC())) {
                    monitor.addListener(reporter);
                    reporter.start();
                    monitor.start();
                    watch.start();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (!watch.current().available() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    if (!watch.current().available()) {
                        throw new IllegalStateException("AMI watch did not log in to the peer");
                    }
                    Thread.sleep(1500);
                    String call = null;
                    for (int i = 0; i < n + 10; i++) {
                        long t0 = System.nanoTime();
                        if (call == null) {
                            call = peer.callUp();
                            waitFor(kamailio, pbx1, s -> s == 100, 5000);
                        } else {
                            peer.hangup(call);
                            call = null;
                            try {
                                waitFor(kamailio, pbx1, s -> s < 100, 5000);
                            } catch (IllegalStateException e) {
                                throw new IllegalStateException(
                                        e.getMessage() + "; monitor: " + monitor.current() + "; watch: "
                                                + watch.current() + "; iteration " + i,
                                        e);
                            }
                        }
                        if (i >= 10) {
                            amiMicros.add((System.nanoTime() - t0) / 1000);
                        }
                        Thread.sleep(150); // the monitor publishes early at most every 100 ms
                    }
                    if (call != null) {
                        peer.hangup(call);
                    }

                    // 4. CPU while reporting at the default interval with Asterisk idle.
                    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                    long cpu0 = os.getProcessCpuTime();
                    long wall0 = System.nanoTime();
                    Thread.sleep(20_000);
                    cpuPercent = 100.0 * (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - wall0);
                } finally {
                    watch.stop();
                    monitor.stop();
                }
            }
            print("AMI event -> score in Kamailio (ms)", amiMicros);

            // 3. drain -> confirmed by Kamailio.
            List<Long> drainMicros = new ArrayList<>();
            try (LoadReporter reporter = new LoadReporter(
                            urls, target, rpc, Duration.ofSeconds(5), Duration.ofSeconds(1), Clock.systemUTC());
                    DrainController drain =
                            new DrainController(reporter, Duration.ofSeconds(2), true, false, Clock.systemUTC())) {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    if (!drain.drain("benchmark", true).drained()) {
                        throw new IllegalStateException("drain refused");
                    }
                    drainMicros.add((System.nanoTime() - t0) / 1000);
                    if (!kamailio.flags().get(pbx1).startsWith("D")) {
                        throw new IllegalStateException("Kamailio does not hold the drain: " + kamailio.flags());
                    }
                    drain.undrain();
                }
            }
            print("drain() -> confirmed by Kamailio (ms)", drainMicros);

            System.out.printf("JVM CPU while reporting every 1 s (AMI idle, 20 s): %.2f %% of one core%n", cpuPercent);
            System.gc();
            System.out.printf(
                    "JVM RSS (whole benchmark JVM: reporter, AMI watch, peer, HTTP client): %s; "
                            + "heap used after GC: %.1f MiB; threads: %d%n",
                    rss(),
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1048576.0,
                    Thread.activeCount());
        } finally {
            kamailio.close();
            RealParts.deleteTree(dir);
        }
    }

    private static void waitForScore(KamailioProcess k, String key, int score, long limitMs) throws Exception {
        long deadline = System.nanoTime() + limitMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            Integer s = k.score(key);
            if (s != null && s == score) {
                return;
            }
        }
        throw new IllegalStateException("score " + score + " not in Kamailio within " + limitMs + " ms");
    }

    private static void waitFor(KamailioProcess k, String key, java.util.function.IntPredicate ok, long limitMs)
            throws Exception {
        long deadline = System.nanoTime() + limitMs * 1_000_000;
        Integer s = null;
        while (System.nanoTime() < deadline) {
            s = k.score(key);
            if (s != null && ok.test(s)) {
                return;
            }
        }
        throw new IllegalStateException("score in Kamailio still " + s + " after " + limitMs + " ms");
    }

    private static void print(String what, List<Long> micros) {
        List<Long> s = new ArrayList<>(micros);
        Collections.sort(s);
        System.out.printf(
                "%s: n=%d p50=%.2f p99=%.2f max=%.2f%n",
                what, s.size(), pct(s, 50) / 1000.0, pct(s, 99) / 1000.0, s.get(s.size() - 1) / 1000.0);
    }

    private static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static String rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return line.substring(6).trim();
            }
        }
        return "?";
    }
}
