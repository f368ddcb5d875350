package org.pbxagent.fastagi.routing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingDataWriter;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.TestDatabase;

/**
 * Routing figures: decision latency and throughput on a large in-memory snapshot, snapshot build and DB reload time,
 * and how long a change in a real MariaDB takes to be served (target: within 1 s). Prints figures; asserts nothing.
 *
 * <p>Arguments: tenants, extensions per tenant (default 5 1000).
 */
public final class RoutingBenchmark {
    public static void main(String[] args) throws Exception {
        int tenants = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int perTenant = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        RoutingData data = synthetic(tenants, perTenant);
        System.out.printf(
                "data: %d tenants, %d extensions, %d inbound routes, %d ring groups, %d outbound routes%n",
                data.tenants().size(),
                data.extensions().size(),
                data.inboundRoutes().size(),
                data.ringGroups().size(),
                data.outboundRoutes().size());

        long[] builds = new long[10];
        RoutingSnapshot snapshot = null;
        for (int i = 0; i < builds.length; i++) {
            long t0 = System.nanoTime();
            snapshot = RoutingCompiler.compile(data);
            builds[i] = System.nanoTime() - t0;
        }
        System.out.printf(
                "snapshot build: median %.1f ms (problems: %d)%n",
                median(builds) / 1e6, snapshot.problems().size());

        CallRouter router = new CallRouter(new CallRouter.State(snapshot, false), Clock.systemUTC());
        AgiRequest[] requests = requests(tenants, perTenant);
        decisions(router, requests);

        dbFigures(data);
    }

    static void decisions(CallRouter router, AgiRequest[] requests) throws InterruptedException {
        // warm-up so the figures are of compiled code
        long warmEnd = System.nanoTime() + 3_000_000_000L;
        int i = 0;
        while (System.nanoTime() < warmEnd) {
            decide(router, requests[i++ % requests.length]);
        }
        int n = 2_000_000;
        long[] lat = new long[n];
        long t0 = System.nanoTime();
        for (int k = 0; k < n; k++) {
            long s = System.nanoTime();
            decide(router, requests[k % requests.length]);
            lat[k] = System.nanoTime() - s;
        }
        long total = System.nanoTime() - t0;
        Arrays.sort(lat);
        System.out.printf(
                "decisions, 1 thread: %.0f /s; latency p50 %.2f us, p99 %.2f us, p99.9 %.2f us, max %.1f us%n",
                n / (total / 1e9),
                lat[n / 2] / 1e3,
                lat[(int) (n * 0.99)] / 1e3,
                lat[(int) (n * 0.999)] / 1e3,
                lat[n - 1] / 1e3);

        int threads = Runtime.getRuntime().availableProcessors();
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + 5_000_000_000L;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int offset = t * 7919;
            Thread th = new Thread(() -> {
                long c = 0;
                int j = offset;
                while (System.nanoTime() < end) {
                    decide(router, requests[j++ % requests.length]);
                    c++;
                }
                count.addAndGet(c);
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        System.out.printf("decisions, %d threads: %.0f /s%n", threads, count.get() / 5.0);
    }

    static RouteDecision decide(CallRouter router, AgiRequest r) {
        return switch (r.script()) {
            case "route" -> router.route(r);
            case "outbound" -> router.outbound(r);
            default -> router.next(r);
        };
    }

    static void dbFigures(RoutingData data) throws Exception {
        Path dir = Files.createTempDirectory("routing-bench");
        try (TestDatabase db = TestDatabase.start()) {
            RoutingSchema.migrate(db.dataSource());
            long t0 = System.nanoTime();
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                RoutingDataWriter.insertMissingTenants(c, data);
                c.commit();
            }
            System.out.printf("DB: wrote the data in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            RoutingDataReader reader = new RoutingDataReader(db.dataSource());
            long[] reloads = new long[10];
            for (int i = 0; i < reloads.length; i++) {
                long s = System.nanoTime();
                RoutingCompiler.compile(reader.read());
                reloads[i] = System.nanoTime() - s;
            }
            long[] polls = new long[200];
            for (int i = 0; i < polls.length; i++) {
                long s = System.nanoTime();
                reader.version();
                polls[i] = System.nanoTime() - s;
            }
            System.out.printf(
                    "DB: version poll median %.2f ms; full reload (read + build) median %.0f ms%n",
                    median(polls) / 1e6, median(reloads) / 1e6);

            try (RoutingService svc = new RoutingService(
                    db.dataSource(), dir.resolve("routing.snapshot"), Duration.ofMillis(500), Clock.systemUTC())) {
                svc.start();
                int changes = 20;
                long[] served = new long[changes];
                for (int i = 0; i < changes; i++) {
                    String endpoint = "PJSIP/bench-" + i;
                    db.update(
                            "UPDATE extension SET endpoint = ? WHERE number = ? AND tenant_id = (SELECT id FROM"
                                    + " tenant WHERE name = ?)",
                            endpoint,
                            "1000",
                            "t0");
                    long s = System.nanoTime();
                    AgiRequest r = Calls.request("route?tenant=t0&did=5551000", "5550001");
                    while (!endpoint.equals(svc.scripts().get("route").decide(r).get("ROUTE_TARGET"))) {
                        if (System.nanoTime() - s > 10_000_000_000L) {
                            throw new IllegalStateException("change not served within 10 s");
                        }
                        Thread.sleep(1);
                    }
                    served[i] = System.nanoTime() - s;
                    Thread.sleep(137L * (i % 4)); // spread the commits over the poll phase
                }
                Arrays.sort(served);
                System.out.printf(
                        "DB change to served answer (refresh 500 ms, %d changes): min %.0f ms, median %.0f"
                                + " ms, max %.0f ms%n",
                        changes, served[0] / 1e6, served[changes / 2] / 1e6, served[changes - 1] / 1e6);
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static long median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    /** Per tenant: extensions 1000.., one exact DID per extension (555xxxx), a time condition, ring and hunt groups. */
    static RoutingData synthetic(int tenants, int perTenant) {
        List<RoutingData.Tenant> ts = new ArrayList<>();
        List<RoutingData.Extension> ext = new ArrayList<>();
        List<RoutingData.TimeCondition> tcs = new ArrayList<>();
        List<RoutingData.RingGroup> groups = new ArrayList<>();
        List<RoutingData.InboundRoute> in = new ArrayList<>();
        List<RoutingData.Trunk> trunks = new ArrayList<>();
        List<RoutingData.OutboundRoute> out = new ArrayList<>();
        List<RoutingData.BlockedCaller> blocked = new ArrayList<>();
        List<RoutingData.TimeRange> week = new ArrayList<>();
        for (int d = 1; d <= 5; d++) {
            week.add(new RoutingData.TimeRange(d, "08:00:00", "18:00:00"));
        }
        for (int t = 0; t < tenants; t++) {
            String tn = "t" + t;
            ts.add(new RoutingData.Tenant(tn, t % 2 == 0 ? "Europe/Berlin" : "America/New_York"));
            for (int e = 0; e < perTenant; e++) {
                String n = Integer.toString(1000 + e);
                ext.add(new RoutingData.Extension(
                        tn,
                        n,
                        "PJSIP/" + tn + "-" + n,
                        "User " + n,
                        n + "@" + tn,
                        e % 10 == 3,
                        e % 10 == 4 ? Integer.toString(1000 + (e + 1) % perTenant) : null,
                        e % 10 == 5 ? "1000" : null,
                        null,
                        20,
                        e % 10 == 6 ? 2 : 0,
                        null));
                in.add(new RoutingData.InboundRoute(
                        tn, "did-" + n, "555" + n, null, 10, new RoutingData.Destination("EXTENSION", n)));
            }
            tcs.add(new RoutingData.TimeCondition(
                    tn,
                    "hours",
                    null,
                    new RoutingData.Destination("RING_GROUP", "600"),
                    new RoutingData.Destination("VOICEMAIL", "1000"),
                    week,
                    List.of(new RoutingData.TimeException("2026-12-25", false, "holiday"))));
            groups.add(new RoutingData.RingGroup(
                    tn,
                    "600",
                    "all",
                    "RINGALL",
                    20,
                    new RoutingData.Destination("VOICEMAIL", "1000"),
                    List.of("1000", "1001", "1002", "1003")));
            groups.add(new RoutingData.RingGroup(
                    tn,
                    "601",
                    "hunt",
                    "HUNT",
                    15,
                    new RoutingData.Destination("ROUTE", "main"),
                    List.of("1001", "1002", "1003")));
            in.add(new RoutingData.InboundRoute(
                    tn, "main", "5550000", null, 5, new RoutingData.Destination("TIME_CONDITION", "hours")));
            in.add(new RoutingData.InboundRoute(
                    tn, "national", "_NXXNXXXXXX", null, 50, new RoutingData.Destination("ROUTE", "main")));
            in.add(new RoutingData.InboundRoute(
                    tn, "sales", "_6[0-4]X", null, 50, new RoutingData.Destination("RING_GROUP", "601")));
            in.add(new RoutingData.InboundRoute(
                    tn, "rest", "_X.", null, 1000, new RoutingData.Destination("HANGUP", "1")));
            trunks.add(new RoutingData.Trunk(tn, "a", "PJSIP/{number}@a"));
            trunks.add(new RoutingData.Trunk(tn, "b", "PJSIP/{number}@b"));
            out.add(new RoutingData.OutboundRoute(
                    tn,
                    "emergency",
                    1,
                    null,
                    null,
                    120,
                    List.of(new RoutingData.DialPattern("112", 0, "")),
                    List.of("a")));
            out.add(new RoutingData.OutboundRoute(
                    tn,
                    "pstn",
                    10,
                    "5550000",
                    "Main",
                    120,
                    List.of(new RoutingData.DialPattern("_0.", 0, ""), new RoutingData.DialPattern("_9.", 1, "")),
                    List.of("a", "b")));
            blocked.add(new RoutingData.BlockedCaller(tn, "_0900.", "premium"));
            blocked.add(new RoutingData.BlockedCaller(tn, "5550666", "nuisance"));
        }
        return new RoutingData(
                1, System.currentTimeMillis(), ts, ext, tcs, groups, List.of(), in, trunks, out, blocked);
    }

    /** A mix like a PBX sees: mostly DID calls, some outbound, some next steps. */
    static AgiRequest[] requests(int tenants, int perTenant) {
        List<AgiRequest> r = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(42);
        for (int i = 0; i < 4096; i++) {
            String t = "t" + rnd.nextInt(tenants);
            int e = 1000 + rnd.nextInt(perTenant);
            int kind = rnd.nextInt(10);
            String script = switch (kind) {
                case 0 -> "route?tenant=" + t + "&did=5550000";
                case 1 -> "route?tenant=" + t + "&did=2125551234";
                case 2 -> "outbound?tenant=" + t + "&ext=" + e + "&number=0301234567";
                case 3 -> "next?tenant=" + t + "&step=ext:" + e + "&dialstatus=NOANSWER";
                case 4 -> "next?tenant=" + t + "&step=out:pstn:0:0301234567&dialstatus=CHANUNAVAIL";
                default -> "route?tenant=" + t + "&did=555" + e;
            };
            r.add(Calls.request(script, "49301234" + rnd.nextInt(100)));
        }
        return r.toArray(new AgiRequest[0]);
    }
}
