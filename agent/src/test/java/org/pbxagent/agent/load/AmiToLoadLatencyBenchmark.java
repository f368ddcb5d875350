package org.pbxagent.agent.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.ami.AsteriskWatch;

/**
 * Time from a change on Asterisk to the NodeLoad that reflects it, with the default settings (AMI sessions every
 * 500 ms, load interval 1000 ms): the part of "Asterisk change to new score in Kamailio" that happens inside the
 * agent before the push. The watch reads the counts in its next short session, so the figures include up to one
 * poll interval.
 *
 * <ul>
 *   <li>calls: the peer emits the recorded events of 10 new calls (or their hangups), a move of 10 points with
 *       load.max-calls = 100; measured until a NodeLoad with the new count is published;</li>
 *   <li>shutdown: the peer ends as Asterisk does (the Shutdown event to open sessions, then the listener
 *       closes); measured until a NodeLoad with score 100 and Asterisk unavailable is published.</li>
 * </ul>
 * The score is computed from fixed /proc text so that only the calls move it.
 * Arguments: [call steps, default 400] [shutdowns, default 20] [ms between steps, default 150].
 */
public final class AmiToLoadLatencyBenchmark {
    private record Seen(long nanos, NodeLoad load) {}

    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int shutdowns = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        long gapMs = args.length > 2 ? Long.parseLong(args[2]) : 150;
        LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
            AsteriskWatch watch =
                    new AsteriskWatch(AmiSettings.defaults("127.0.0.1", peer.port(), "agent", "agentsecret"));
            // Fixed /proc text (idle CPU, 1 % memory): the calls alone move the score, whatever else the machine runs.
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ami-latency");
            java.nio.file.Path stat =
                    java.nio.file.Files.writeString(dir.resolve("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n");
            java.nio.file.Path mem = java.nio.file.Files.writeString(
                    dir.resolve("meminfo"), "MemTotal: 1000 kB\nMemAvailable: 990 kB\n");
            LoadMonitor monitor = new LoadMonitor(LoadSettings.defaults(100), watch::current, () -> 0, stat, mem);
            monitor.addListener(l -> seen.add(new Seen(System.nanoTime(), l)));
            watch.addListener(monitor);
            monitor.start();
            watch.start();
            waitFor(seen, NodeLoad::asteriskAvailable, System.nanoTime());

            long[] calls = new long[steps];
            List<String> up = new ArrayList<>();
            for (int i = 0; i < steps; i++) {
                seen.clear();
                long t0 = System.nanoTime();
                int target;
                if (up.isEmpty()) {
                    for (int c = 0; c < 10; c++) {
                        up.add(peer.callUp());
                    }
                    target = 10;
                } else {
                    for (String id : up) {
                        peer.hangup(id);
                    }
                    up.clear();
                    target = 0;
                }
                calls[i] = waitFor(seen, l -> l.activeCalls() == target, t0);
                Thread.sleep(gapMs); // 150 ms: each step a separate change; 20 ms: changes faster than the 100 ms gap
            }

            long[] down = new long[shutdowns];
            for (int i = 0; i < shutdowns; i++) {
                seen.clear();
                long t0 = System.nanoTime();
                peer.shutdown();
                down[i] = waitFor(seen, l -> !l.asteriskAvailable() && l.score() == 100, t0);
                peer.start();
                waitFor(seen, NodeLoad::asteriskAvailable, System.nanoTime());
            }
            monitor.stop();
            watch.stop();
            java.nio.file.Files.delete(stat);
            java.nio.file.Files.delete(mem);
            java.nio.file.Files.delete(dir);

            System.out.println(
                    "Asterisk change to published NodeLoad, AMI sessions every 500 ms, load interval 1000 ms");
            print("10 calls up/down, " + gapMs + " ms apart (" + steps + ")", calls);
            print("Asterisk shut down (" + shutdowns + " times)", down);
        }
    }

    private static long waitFor(LinkedBlockingQueue<Seen> q, Predicate<NodeLoad> p, long t0)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            Seen s = q.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && p.test(s.load)) {
                return s.nanos - t0;
            }
        }
        throw new IllegalStateException("no matching NodeLoad within 10 s");
    }

    private static void print(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf(
                "  %-32s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms%n",
                what,
                s[s.length / 2] / 1e6,
                s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] / 1e6,
                s[s.length - 1] / 1e6);
    }
}
