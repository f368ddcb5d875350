package org.pbxagent.agent.ami;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.asteriskjava.manager.ManagerConnection;
import org.asteriskjava.manager.ManagerConnectionFactory;
import org.asteriskjava.manager.event.HangupEvent;
import org.asteriskjava.manager.event.NewChannelEvent;

/**
 * The same load as {@link AmiWatchBenchmark} (the AMI peer in a second JVM, recorded call events at a rate), read by
 * asterisk-java 3.41.0's ManagerConnection with a listener that keeps the same channel count, for comparing the
 * whole-JVM CPU and RSS with the agent's own codec. Arguments: [rate calls/s, 200] [hold ms, 5000] [measure s, 20].
 */
public final class AsteriskJavaBenchmark {
    public static void main(String[] args) throws Exception {
        double rate = args.length > 0 ? Double.parseDouble(args[0]) : 200;
        long holdMs = args.length > 1 ? Long.parseLong(args[1]) : 5000;
        int measureS = args.length > 2 ? Integer.parseInt(args[2]) : 20;
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
        ManagerConnection conn = null;
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
                        // acknowledgements
                    }
                } catch (java.io.IOException ignored) {
                    // peer gone
                }
            });
            drain.setDaemon(true);
            drain.start();

            Set<String> live = ConcurrentHashMap.newKeySet();
            AtomicLong events = new AtomicLong();
            conn = new ManagerConnectionFactory("127.0.0.1", port, "agent", "agentsecret").createManagerConnection();
            conn.addEventListener(e -> {
                events.incrementAndGet();
                if (e instanceof NewChannelEvent n) {
                    live.add(n.getUniqueId());
                } else if (e instanceof HangupEvent h) {
                    live.remove(h.getUniqueId());
                }
            });
            conn.login();
            var cmd = peer.getOutputStream();
            cmd.write(("rate " + rate + " " + holdMs + "\n").getBytes(StandardCharsets.UTF_8));
            cmd.flush();
            Thread.sleep(holdMs + 3000);

            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long proc0 = os.getProcessCpuTime();
            long ev0 = events.get();
            long t0 = System.nanoTime();
            long rssPeak = 0;
            int minCalls = Integer.MAX_VALUE;
            int maxCalls = 0;
            for (int i = 0; i < measureS * 10; i++) {
                Thread.sleep(100);
                rssPeak = Math.max(rssPeak, rssKb());
                minCalls = Math.min(minCalls, live.size());
                maxCalls = Math.max(maxCalls, live.size());
            }
            long wall = System.nanoTime() - t0;
            long proc = os.getProcessCpuTime() - proc0;
            long n = events.get() - ev0;
            System.gc();
            long heapKb =
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024;
            System.out.printf(
                    "asterisk-java ManagerConnection: %.0f calls/s offered, hold %d ms, measured %.1f s%n",
                    rate, holdMs, wall / 1e9);
            System.out.printf("  events received:         %d (%.0f/s)%n", n, n / (wall / 1e9));
            System.out.printf(
                    "  active channels seen:    %d..%d (expected about %.0f)%n",
                    minCalls, maxCalls, rate * holdMs / 1000);
            System.out.printf("  whole JVM CPU:           %.2f %% of one core%n", 100.0 * proc / wall);
            System.out.printf(
                    "  RSS peak:                %d MiB; heap used after GC %d MiB%n", rssPeak / 1024, heapKb / 1024);
            cmd.write("rate 0\n".getBytes(StandardCharsets.UTF_8));
            cmd.flush();
        } finally {
            if (conn != null) {
                conn.logoff();
            }
            peer.destroy();
            if (!peer.waitFor(5, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
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
