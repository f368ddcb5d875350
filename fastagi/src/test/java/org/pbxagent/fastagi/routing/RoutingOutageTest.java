package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.data.TestDatabase;

/** Change detection, DB outage and restart, start with the DB down, corrupt disk snapshots — on a real MariaDB. */
class RoutingOutageTest {
    static TestDatabase db;
    static Path dir;
    static Path file;
    static RoutingService service;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.start();
        RoutingSchema.migrate(db.dataSource());
        SampleRoutingData.load(db.dataSource());
        dir = Files.createTempDirectory("routing-outage");
        file = dir.resolve("routing.snapshot");
        service = new RoutingService(db.dataSource(), file, Duration.ofMillis(250), Clock.systemUTC());
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
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static RouteDecision call(RoutingService svc, String script) {
        AgiRequest r = Calls.request(script, "5550001");
        return svc.scripts().get(r.script()).decide(r);
    }

    /** Waits (bounded) for a condition; returns the milliseconds it took. */
    static long await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long t0 = System.nanoTime();
        while (!condition.getAsBoolean()) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms > timeoutMs) {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(10);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aChangeInTheDatabaseIsServedWithinOneSecond() throws Exception {
        assertEquals("SIP/1001", call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET"));
        db.update("UPDATE extension SET endpoint = ? WHERE number = ? AND tenant_id = (SELECT id FROM tenant"
                + " WHERE name = ?)", "PJSIP/alice-desk", "1001", "acme");
        long ms = await("new endpoint served", 5000,
                () -> "PJSIP/alice-desk".equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
        assertTrue(ms <= 1000, "change served after " + ms + " ms");
        db.update("UPDATE extension SET endpoint = ? WHERE number = ? AND tenant_id = (SELECT id FROM tenant"
                + " WHERE name = ?)", "SIP/1001", "1001", "acme");
        await("endpoint restored", 5000,
                () -> "SIP/1001".equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
        long served = service.snapshot().version();
        await("disk snapshot follows the served version", 5000, () -> SnapshotFileTestAccess.version(file) == served);
    }

    @Test
    void databaseOutageAndRestartAndStartingWhileItIsDown() throws Exception {
        long version = service.status().snapshotVersion();
        db.stop();
        try {
            await("DB outage noticed", 10_000, () -> !service.status().dbReachable());
            RouteDecision d = call(service, "route?tenant=acme&did=100");
            assertEquals("DIAL", d.get("ROUTE_ACTION"));
            assertEquals("SIP/1001", d.get("ROUTE_TARGET"));
            assertEquals("1", d.get("ROUTE_DEGRADED"));
            RoutingStatus s = service.status();
            assertTrue(s.degraded());
            assertEquals(version, s.snapshotVersion());
            assertTrue(s.problems().stream().anyMatch(p -> p.startsWith("last refresh failed: DB")), s.toString());

            // a second agent started now loads the disk snapshot and says it is degraded
            try (RoutingService late = new RoutingService(db.dataSource(), file, Duration.ofMillis(250),
                    Clock.systemUTC())) {
                late.start();
                assertEquals("disk", late.status().source());
                assertTrue(late.status().degraded());
                assertEquals(version, late.status().snapshotVersion());
                RouteDecision fromDisk = call(late, "route?tenant=acme&did=100");
                assertEquals("SIP/1001", fromDisk.get("ROUTE_TARGET"));
                assertEquals("1", fromDisk.get("ROUTE_DEGRADED"));
                assertEquals("PLAYBACK", call(late, "route?tenant=acme&did=199").get("ROUTE_ACTION"));

                // a corrupt or torn snapshot is reported and never loaded
                Path corrupt = dir.resolve("corrupt.snapshot");
                byte[] bytes = Files.readAllBytes(file);
                bytes[bytes.length - 10] ^= 0x01;
                Files.write(corrupt, bytes);
                RoutingSnapshotException e = assertThrows(RoutingSnapshotException.class, () -> new RoutingService(
                        db.dataSource(), corrupt, Duration.ofMillis(250), Clock.systemUTC()).start());
                assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("not loaded")
                        && e.getMessage().contains("DB failed"), e.getMessage());
                byte[] whole = Files.readAllBytes(file);
                Files.write(corrupt, java.util.Arrays.copyOf(whole, whole.length / 2));
                e = assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(corrupt).read());
                assertTrue(e.getMessage().contains("torn"), e.getMessage());
                Files.writeString(corrupt, "{\"version\": 7}");
                e = assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(corrupt).read());
                assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
                e = assertThrows(RoutingSnapshotException.class, () -> new RoutingService(db.dataSource(),
                        dir.resolve("missing.snapshot"), Duration.ofMillis(250), Clock.systemUTC()).start());
                assertTrue(e.getMessage().startsWith("no routing data: DB failed"), e.getMessage());

                db.restart();
                await("late agent fresh from the DB", 20_000, () -> "database".equals(late.status().source())
                        && !late.status().degraded());
                assertEquals("0", call(late, "route?tenant=acme&did=100").get("ROUTE_DEGRADED"));
            }
        } finally {
            db.restart();
        }
        await("DB back", 20_000, () -> service.status().dbReachable() && !service.status().degraded());
        assertEquals("0", call(service, "route?tenant=acme&did=100").get("ROUTE_DEGRADED"));
        assertFalse(service.status().problems().stream().anyMatch(p -> p.startsWith("last refresh failed")));

        // changes made while it was down and after are picked up
        db.update("UPDATE inbound_route SET dest_ref = ? WHERE name = ? AND tenant_id = (SELECT id FROM tenant"
                + " WHERE name = ?)", "1003", "did-100", "acme");
        await("change after restart", 5000,
                () -> "SIP/1003".equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
        db.update("UPDATE inbound_route SET dest_ref = ? WHERE name = ? AND tenant_id = (SELECT id FROM tenant"
                + " WHERE name = ?)", "1001", "did-100", "acme");
        await("change reverted", 5000,
                () -> "SIP/1001".equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
    }

    @Test
    void aCorruptFileIsReplacedWhenTheDatabaseIsUp() throws Exception {
        Path other = dir.resolve("replaced.snapshot");
        Files.writeString(other, "garbage that is not a snapshot\n");
        try (RoutingService svc = new RoutingService(db.dataSource(), other, Duration.ofMillis(250),
                Clock.systemUTC())) {
            svc.start();
            assertEquals("database", svc.status().source());
            assertEquals(svc.snapshot().version(), new SnapshotFile(other).read().version());
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RoutingService(
                db.dataSource(), file, Duration.ofMillis(1), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("refresh interval"), e.getMessage());
    }

    /** Reads the version from a snapshot file the way a restarting agent would. */
    static final class SnapshotFileTestAccess {
        static long version(Path p) {
            return new SnapshotFile(p).read().version();
        }
    }
}
