package org.pbxagent.agent.ami;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pbxagent.agent.load.LoadMonitor;
import org.pbxagent.agent.load.LoadSettings;

/**
 * CPU and memory of the AMI watch (plus the load monitor fed by it) while an Asterisk stand-in in another process
 * runs {@code rate} calls per second (emitting the recorded call events to sessions that take them: the watch's
 * short sessions take none), and the share of time the watch is logged in.
 *
 * <p>Arguments: [rate calls/s, default 200] [hold ms, default 5000] [measure s, default 20]. Prints the figures.
 */
public final class AmiWatchBenchmark {
    public static void main(String[] args) throws Exception {
        double rate = args.length > 0 ? Double.parseDouble(args[0]) : 200;
        long holdMs = args.length > 1 ? Long.parseLong(args[1]) : 5000;
        int measureS = args.length > 2 ? Integer.parseInt(args[2]) : 20;

        // The peer needs only its own classes and the recording, both in the test output directory.
        String peerCp = Path.of(AmiPeer.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process peer = new ProcessBuilder(List.of(
                        java, "-Xmx256m", "-cp", peerCp, AmiPeer.class.getName(), "--port", "0", "--bind", "127.0.0.1"))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null || !first.startsWith("AMI peer listening on ")) {
                throw new IllegalStateException("peer did not start: " + first);
            }
            int port = Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // acknowledgements of commands
                    }
                } catch (java.io.IOException ignored) {
                    // peer gone
                }
            });
            drain.setDaemon(true);
            drain.start();

            AsteriskWatch watch = new AsteriskWatch(AmiSettings.defaults("127.0.0.1", port, "agent", "agentsecret"));
            LoadMonitor monitor = new LoadMonitor(LoadSettings.defaults(2000), watch::current, () -> 0);
            watch.addListener(monitor);
            monitor.start();
            watch.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!watch.current().available() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            if (!watch.current().available()) {
                throw new IllegalStateException("watch did not log in: " + watch.current());
            }
            var cmd = peer.getOutputStream();
            cmd.write(("rate " + rate + " " + holdMs + "\n").getBytes(StandardCharsets.UTF_8));
            cmd.flush();
            Thread.sleep(holdMs + 3000); // warm up: JIT, and the number of calls up reaches its steady state

            ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
            long[] ids = watchThreads(watch);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = threadsCpu(tmx, ids);
            long proc0 = os.getProcessCpuTime();
            long ev0 = watch.eventsReceived();
            long in0 = watch.loggedInMicros();
            long sessions0 = watch.sessions();
            long t0 = System.nanoTime();
            long rssPeak = 0;
            int minCalls = Integer.MAX_VALUE;
            int maxCalls = 0;
            for (int i = 0; i < measureS * 10; i++) {
                Thread.sleep(100);
                rssPeak = Math.max(rssPeak, rssKb());
                int c = watch.current().activeCalls();
                minCalls = Math.min(minCalls, c);
                maxCalls = Math.max(maxCalls, c);
            }
            long wall = System.nanoTime() - t0;
            long cpu = threadsCpu(tmx, ids) - cpu0;
            long proc = os.getProcessCpuTime() - proc0;
            long events = watch.eventsReceived() - ev0;
            long loggedIn = watch.loggedInMicros() - in0;
            long sessions = watch.sessions() - sessions0;
            System.gc();
            long heapKb =
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024;

            System.out.printf(
                    "AMI watch benchmark: %.0f calls/s offered, hold %d ms, measured %.1f s%n",
                    rate, holdMs, wall / 1e9);
            System.out.printf("  events received:         %d (%.0f/s)%n", events, events / (wall / 1e9));
            System.out.printf(
                    "  AMI sessions:            %d, logged in %.3f %% of the time (%.2f ms per session)%n",
                    sessions, 100.0 * loggedIn * 1000 / wall, sessions == 0 ? 0 : loggedIn / 1000.0 / sessions);
            System.out.printf(
                    "  active calls seen:       %d..%d (expected about %.0f)%n",
                    minCalls, maxCalls, rate * holdMs / 1000);
            System.out.printf(
                    "  watch threads CPU:       %.2f %% of one core (ami-watch, ami-notify, load-monitor)%n",
                    100.0 * cpu / wall);
            System.out.printf(
                    "  whole JVM CPU:           %.2f %% of one core (incl. JIT, GC, this benchmark)%n",
                    100.0 * proc / wall);
            System.out.printf(
                    "  RSS peak:                %d MiB; heap used after GC %d MiB%n", rssPeak / 1024, heapKb / 1024);
            System.out.printf(
                    "  still available:         %s, logins %d, skipped %d%n",
                    watch.current().available(), watch.logins(), watch.skippedTraffic());

            cmd.write("rate 0\n".getBytes(StandardCharsets.UTF_8));
            cmd.flush();
            monitor.stop();
            watch.stop();
        } finally {
            peer.destroy();
            if (!peer.waitFor(5, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
    }

    private static long[] watchThreads(AsteriskWatch watch) {
        List<Long> ids = new ArrayList<>();
        for (long id : watch.threadIds()) {
            ids.add(id);
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("load-monitor")) {
                ids.add(t.getId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long threadsCpu(ThreadMXBean tmx, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            long c = tmx.getThreadCpuTime(id);
            if (c > 0) {
                sum += c;
            }
        }
        return sum;
    }

    private static long rssKb() throws java.io.IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
