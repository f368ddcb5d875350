package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.TestDatabase;

/** Broken routing data in a real MariaDB is reported when it is loaded, never discovered during a call. */
class RoutingValidationTest {
    static TestDatabase db;
    static Path dir;
    static RoutingService service;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.start();
        RoutingSchema.migrate(db.dataSource());
        long t = db.insert("INSERT INTO tenant (name, time_zone) VALUES (?, ?)", "broken", "UTC");
        db.insert("INSERT INTO extension (tenant_id, number, endpoint) VALUES (?, ?, ?)", t, "3001", "SIP/3001");
        db.insert(
                "INSERT INTO extension (tenant_id, number, endpoint, forward_always) VALUES (?, ?, ?, ?)",
                t,
                "3002",
                "SIP/3002",
                "3003");
        db.insert(
                "INSERT INTO extension (tenant_id, number, endpoint, forward_always) VALUES (?, ?, ?, ?)",
                t,
                "3003",
                "SIP/3003",
                "3002");
        db.insert(
                "INSERT INTO extension (tenant_id, number, endpoint, forward_busy) VALUES (?, ?, ?, ?)",
                t,
                "3004",
                "SIP/3004",
                "777");
        LabData.inbound(db, t, "good", "8100", null, 10, "EXTENSION", "3001");
        LabData.inbound(db, t, "missing", "8000", null, 10, "EXTENSION", "9999");
        LabData.inbound(db, t, "via-missing", "8001", null, 10, "ROUTE", "missing");
        LabData.inbound(db, t, "loop-a", "8002", null, 10, "ROUTE", "loop-b");
        LabData.inbound(db, t, "loop-b", null, null, 10, "TIME_CONDITION", "tc-loop");
        db.insert(
                "INSERT INTO time_condition (tenant_id, name, match_type, match_ref, else_type, else_ref)"
                        + " VALUES (?, ?, ?, ?, ?, ?)",
                t,
                "tc-loop",
                "ROUTE",
                "loop-a",
                "EXTENSION",
                "3001");
        LabData.inbound(db, t, "vm-nobox", "8003", null, 10, "VOICEMAIL", "3001");
        LabData.inbound(db, t, "bad-pattern", "_[5-", null, 10, "EXTENSION", "3001");
        db.insert(
                "INSERT INTO time_condition (tenant_id, name, time_zone, match_type, match_ref, else_type, else_ref)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?)",
                t,
                "bad-zone",
                "Mars/Olympus_Mons",
                "EXTENSION",
                "3001",
                "EXTENSION",
                "3001");
        LabData.inbound(db, t, "mars", "8004", null, 10, "TIME_CONDITION", "bad-zone");
        long g = db.insert(
                "INSERT INTO ring_group (tenant_id, number, strategy, no_answer_type, no_answer_ref)"
                        + " VALUES (?, ?, ?, ?, ?)",
                t,
                "800",
                "RINGALL",
                "QUEUE",
                "nosuchqueue");
        db.insert(
                "INSERT INTO ring_group_member (ring_group_id, position, extension_id)"
                        + " SELECT ?, 1, id FROM extension WHERE number = ?",
                g,
                "3001");
        LabData.inbound(db, t, "group", "8005", null, 10, "RING_GROUP", "800");
        LabData.inbound(db, t, "cause", "8006", null, 10, "HANGUP", "999");
        LabData.inbound(db, t, "bogus", "8007", null, 10, "FAX", "3001");
        LabData.inbound(db, t, "sound", "8008", null, 10, "PLAYBACK", "../../etc/passwd");
        db.insert("INSERT INTO outbound_route (tenant_id, name) VALUES (?, ?)", t, "no-trunks");
        dir = Files.createTempDirectory("routing-validation");
        service = new RoutingService(
                db.dataSource(), dir.resolve("routing.snapshot"), Duration.ofMillis(200), Clock.systemUTC());
        service.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
        }
        if (db != null) {
            db.close();
        }
        if (dir != null) {
            deleteTree(dir);
        }
    }

    static RouteDecision call(String script) {
        return call(service, script);
    }

    static RouteDecision call(RoutingService on, String script) {
        AgiRequest r = Calls.request(script, "5550001");
        return on.scripts().get(r.script()).decide(r);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static void assertProblem(List<String> problems, String... fragments) {
        for (String p : problems) {
            boolean all = true;
            for (String f : fragments) {
                all &= p.contains(f);
            }
            if (all) {
                return;
            }
        }
        throw new AssertionError("no problem line with " + List.of(fragments) + " in " + problems);
    }

    @Test
    void everyBrokenEntryIsReportedAtLoad() {
        List<String> p = service.status().problems();
        assertProblem(p, "inbound route missing", "extension 9999 which does not exist");
        assertProblem(p, "inbound route via-missing", "ROUTE missing");
        assertProblem(p, "loop", "route loop-a -> route loop-b -> time condition tc-loop -> route loop-a");
        assertProblem(p, "inbound route vm-nobox", "has no voicemail box");
        assertProblem(p, "inbound route bad-pattern", "bad pattern");
        assertProblem(p, "time condition bad-zone", "unknown time zone 'Mars/Olympus_Mons'");
        assertProblem(p, "inbound route mars", "TIME_CONDITION bad-zone");
        assertProblem(p, "ring group 800", "QUEUE nosuchqueue");
        assertProblem(p, "inbound route group", "RING_GROUP 800");
        assertProblem(p, "inbound route cause", "hangup cause '999'");
        assertProblem(p, "inbound route bogus", "unknown type 'FAX'");
        assertProblem(p, "inbound route sound", "not a plain sound name");
        assertProblem(p, "extension 3002", "unconditional forward loop");
        assertProblem(p, "extension 3004", "forward on busy to 777");
        assertProblem(p, "outbound route no-trunks", "at least one valid pattern and one valid trunk");
        for (String line : p) {
            assertTrue(line.startsWith("tenant broken: "), line);
        }
        assertEquals(p, RoutingConsistencyCheck.run(db.dataSource()), "the clustered check finds the same");
    }

    @Test
    void refusedEntriesNeverReachACallAndTheRestWorks() {
        RouteDecision good = call("route?tenant=broken&did=8100");
        assertEquals("DIAL", good.get("ROUTE_ACTION"));
        assertEquals("SIP/3001", good.get("ROUTE_TARGET"));
        for (String did : List.of("8000", "8001", "8002", "8003", "8004", "8005", "8006", "8007", "8008")) {
            RouteDecision d = call("route?tenant=broken&did=" + did);
            assertEquals("HANGUP", d.get("ROUTE_ACTION"), did);
            assertEquals("no-route", d.get("ROUTE_REASON"), did);
        }
        RouteDecision loopForward = call("route?tenant=broken&did=3002");
        assertEquals("SIP/3002", loopForward.get("ROUTE_TARGET"), "the looping forward is ignored, the phone rings");
    }

    @Test
    void aSnapshotWithoutAnyUsableTenantIsRefusedAndTheOldOneKept() throws Exception {
        assertThrows(
                RoutingSnapshotException.class,
                () -> RoutingCompiler.compile(new RoutingData(
                        1, 0, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                        List.of())));
        // Its own database and service: it empties the tenants, which the other tests read, so that each test
        // runs alone and in any order.
        Path own = Files.createTempDirectory("routing-validation-refusal");
        try (TestDatabase d = TestDatabase.start()) {
            RoutingSchema.migrate(d.dataSource());
            long t = d.insert("INSERT INTO tenant (name, time_zone) VALUES (?, ?)", "broken", "UTC");
            d.insert("INSERT INTO extension (tenant_id, number, endpoint) VALUES (?, ?, ?)", t, "3001", "SIP/3001");
            LabData.inbound(d, t, "good", "8100", null, 10, "EXTENSION", "3001");
            RoutingService s = new RoutingService(
                    d.dataSource(), own.resolve("routing.snapshot"), Duration.ofMillis(200), Clock.systemUTC());
            s.start();
            try {
                assertEquals("SIP/3001", call(s, "route?tenant=broken&did=8100").get("ROUTE_TARGET"));
                d.update("DELETE FROM tenant");
                RoutingOutageTest.await(
                        "refusal reported",
                        5000,
                        () -> s.status().problems().stream()
                                .anyMatch(p -> p.contains("refused: routing data has no usable tenant")));
                assertEquals("SIP/3001", call(s, "route?tenant=broken&did=8100").get("ROUTE_TARGET"));
                // The DB is reachable, but what is served is no longer what it holds: the answers say so.
                assertEquals("1", call(s, "route?tenant=broken&did=8100").get("ROUTE_DEGRADED"));
                assertTrue(s.status().degraded(), s.status().toString());
            } finally {
                s.close();
            }
        } finally {
            deleteTree(own);
        }
    }
}
