package org.pbxagent.fastagi.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.protocol.AgiCommands;
import org.pbxagent.fastagi.routing.CallRouter;
import org.pbxagent.fastagi.routing.RoutingCompiler;
import org.pbxagent.fastagi.server.FastAgiServer;
import org.pbxagent.fastagi.server.FastAgiServerSettings;
import org.pbxagent.fastagi.server.HoldScript;

/**
 * One FastAGI server under test, in its own JVM so that its memory and CPU are its own. Prints {@code PORT n}, then
 * answers {@code stats} lines on stdin with one {@code STATS k=v ...} line; exits when stdin closes.
 * Kinds: {@code pbx} (this project's server with the real route script over the sample data, and the hold script),
 * {@code floor} ({@link FloorAgiServer} sending the same command lines as {@code pbx} for the benchmark's call),
 * {@code asterisk-java} (DefaultAgiServer running a script that sets the same variables one by one with its
 * {@code setVariable}).
 */
public final class BenchServerMain {
    private BenchServerMain() {}

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        String kind = args[0];
        // The decision under test: the recorded call, answered by the real router over the sample data.
        CallRouter benchRouter = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false), Clock.systemUTC());
        RouteDecision decision = benchRouter.route(new org.pbxagent.fastagi.AgiRequest(
                "route",
                Map.of("tenant", "acme", "did", "100"),
                java.util.List.of(),
                Map.of("callerid", "5551234", "dnid", "100")));
        java.util.List<String> names = new java.util.ArrayList<>();
        java.util.List<String> values = new java.util.ArrayList<>();
        for (int i = 0; i < decision.size(); i++) {
            names.add(decision.name(i));
            values.add(decision.value(i));
        }
        AutoCloseable server;
        int port;
        String threadPrefix;
        java.util.function.LongSupplier inFlight = () -> -1;
        java.util.function.LongSupplier served = () -> -1;
        java.util.function.LongSupplier refused = () -> -1;
        switch (kind) {
            case "pbx": {
                CallRouter router = new CallRouter(
                        new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false),
                        Clock.systemUTC());
                Map<String, DecisionScript> scripts =
                        Map.of("route", router::route, "outbound", router::outbound, "next", router::next);
                FastAgiServer s = new FastAgiServer(
                        FastAgiServerSettings.builder()
                                .port(0)
                                .selectorThreads(1)
                                .maxSessions(10_000)
                                .replyTimeout(Duration.ofSeconds(120))
                                .build(),
                        scripts);
                s.register(HoldScript.NAME, new HoldScript(Duration.ofSeconds(5)));
                s.start();
                port = s.port();
                server = s;
                inFlight = s::sessionsInFlight;
                served = s::sessionsServed;
                refused = () -> s.sessionsRefusedByOverload() + s.sessionsClosedUnanswered();
                threadPrefix = "fastagi-selector";
                break;
            }
            case "floor": {
                FloorAgiServer f = new FloorAgiServer(
                        java.util.List.of(AgiCommands.execMSet(names, values).getBytes(StandardCharsets.UTF_8)));
                port = f.port();
                server = f;
                served = () -> f.served;
                threadPrefix = "floor-selector";
                break;
            }
            case "asterisk-java": {
                int free;
                try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    free = probe.getLocalPort();
                }
                org.asteriskjava.fastagi.DefaultAgiServer aj =
                        new org.asteriskjava.fastagi.DefaultAgiServer((request, channel) -> {
                            for (int i = 0; i < names.size(); i++) {
                                channel.setVariable(names.get(i), values.get(i));
                            }
                        });
                aj.setAddress(InetAddress.getLoopbackAddress());
                aj.setPort(free);
                // Threads enough for the highest concurrency measured, so the pool is not what limits it.
                aj.setPoolSize(64);
                aj.setMaximumPoolSize(1100);
                Thread t = new Thread(
                        () -> {
                            try {
                                aj.startup();
                            } catch (Exception e) {
                                // The thread's uncaught-exception handler prints it; the benchmark then sees no port.
                                throw new IllegalStateException("asterisk-java server did not start", e);
                            }
                        },
                        "asterisk-java-server");
                t.setDaemon(true);
                t.start();
                waitForPort(free);
                port = free;
                server = aj::shutdown;
                threadPrefix = "";
                break;
            }
            default:
                throw new IllegalArgumentException("unknown server kind " + kind);
        }
        System.out.println("PORT " + port);
        System.out.flush();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("stats")) {
                long ioCpu = 0;
                for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
                    if (ti != null && ti.getThreadName().startsWith(threadPrefix) && !threadPrefix.isEmpty()) {
                        ioCpu += Math.max(0, mx.getThreadCpuTime(ti.getThreadId()));
                    }
                }
                System.out.println("STATS inflight=" + inFlight.getAsLong() + " served=" + served.getAsLong()
                        + " refused=" + refused.getAsLong() + " processCpuNs=" + os.getProcessCpuTime()
                        + " ioThreadCpuNs=" + ioCpu + " rssKiB=" + rssKiB() + " threads=" + mx.getThreadCount());
                System.out.flush();
            } else if (line.equals("gc")) {
                System.gc();
                System.out.println("GC done");
                System.out.flush();
            } else if (line.equals("quit")) {
                break;
            }
        }
        server.close();
        System.exit(0);
    }

    static long rssKiB() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    private static void waitForPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                new java.net.Socket(InetAddress.getLoopbackAddress(), port).close();
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("asterisk-java server did not listen on " + port);
    }
}
