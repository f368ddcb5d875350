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
        db.update(
                "UPDATE extension SET endpoint = ? WHERE number = ? AND tenant_id = (SELECT id FROM tenant"
                        + " WHERE name = ?)",
                "PJSIP/alice-desk",
                "1001",
                "acme");
        long ms = await(
                "new endpoint served",
                5000,
                () -> "PJSIP/alice-desk"
                        .equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
        assertTrue(ms <= 1000, "change served after " + ms + " ms");
        db.update(
                "UPDATE extension SET endpoint = ? WHERE number = ? AND tenant_id = (SELECT id FROM tenant"
                        + " WHERE name = ?)",
                "SIP/1001",
                "1001",
                "acme");
        await(
                "endpoint restored",
                5000,
                () -> "SIP/1001"
                        .equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
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
            try (RoutingService late =
                    new RoutingService(db.dataSource(), file, Duration.ofMillis(250), Clock.systemUTC())) {
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
                RoutingSnapshotException e = assertThrows(
                        RoutingSnapshotException.class,
                        () -> new RoutingService(db.dataSource(), corrupt, Duration.ofMillis(250), Clock.systemUTC())
                                .start());
                assertTrue(
                        e.getMessage().contains("checksum mismatch")
                                && e.getMessage().contains("not loaded")
                                && e.getMessage().contains("DB failed"),
                        e.getMessage());
                byte[] whole = Files.readAllBytes(file);
                Files.write(corrupt, java.util.Arrays.copyOf(whole, whole.length / 2));
                e = assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(corrupt).read());
                assertTrue(e.getMessage().contains("torn"), e.getMessage());
                Files.writeString(corrupt, "{\"version\": 7}");
                e = assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(corrupt).read());
                assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
                e = assertThrows(
                        RoutingSnapshotException.class,
                        () -> new RoutingService(
                                        db.dataSource(),
                                        dir.resolve("missing.snapshot"),
                                        Duration.ofMillis(250),
                                        Clock.systemUTC())
                                .start());
                assertTrue(e.getMessage().startsWith("no routing data: DB failed"), e.getMessage());

                db.restart();
                await(
                        "late agent fresh from the DB",
                        20_000,
                        () -> "database".equals(late.status().source())
                                && !late.status().degraded());
                assertEquals("0", call(late, "route?tenant=acme&did=100").get("ROUTE_DEGRADED"));
            }
        } finally {
            db.restart();
        }
        await(
                "DB back",
                20_000,
                () -> service.status().dbReachable() && !service.status().degraded());
        assertEquals("0", call(service, "route?tenant=acme&did=100").get("ROUTE_DEGRADED"));
        assertFalse(service.status().problems().stream().anyMatch(p -> p.startsWith("last refresh failed")));

        // changes made while it was down and after are picked up
        db.update(
                "UPDATE inbound_route SET dest_ref = ? WHERE name = ? AND tenant_id = (SELECT id FROM tenant"
                        + " WHERE name = ?)",
                "1003",
                "did-100",
                "acme");
        await(
                "change after restart",
                5000,
                () -> "SIP/1003"
                        .equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
        db.update(
                "UPDATE inbound_route SET dest_ref = ? WHERE name = ? AND tenant_id = (SELECT id FROM tenant"
                        + " WHERE name = ?)",
                "1001",
                "did-100",
                "acme");
        await(
                "change reverted",
                5000,
                () -> "SIP/1001"
                        .equals(call(service, "route?tenant=acme&did=100").get("ROUTE_TARGET")));
    }

    /**
     * The DB comes back from an outage emptied, with its version row unchanged (restored, replaced, truncated): the
     * agent must not take the old version number as proof that what it serves is the DB's data.
     */
    @Test
    void dataEmptiedBehindAnUnchangedVersionStaysDegradedAndSaysWhy() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
        javax.sql.DataSource real = db.dataSource();
        // The network to the DB is cut at the pool: the DB itself stays up, so its data can change meanwhile.
        javax.sql.DataSource link = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {javax.sql.DataSource.class}, (proxy, m, a) -> {
                    if (cut.get() && m.getName().equals("getConnection")) {
                        throw new java.sql.SQLException("connection refused (link cut)");
                    }
                    try {
                        return m.invoke(real, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Path own = dir.resolve("emptied.snapshot");
        try (RoutingService svc = new RoutingService(link, own, Duration.ofMillis(100), Clock.systemUTC())) {
            svc.start();
            long version = svc.status().snapshotVersion();
            cut.set(true);
            await("outage noticed", 10_000, () -> !svc.status().dbReachable());
            java.time.Instant lastAnswer = svc.lastDbSuccess().orElseThrow();
            Thread.sleep(300); // refreshes that fail
            assertEquals(lastAnswer, svc.lastDbSuccess().orElseThrow(), "an outage is not an answer");
            try {
                db.update("DELETE FROM tenant");
                db.update("UPDATE routing_version SET version = ? WHERE id = 1", version);
                cut.set(false);
                await("DB reachable again", 10_000, () -> svc.status().dbReachable());
                await(
                        "the emptied data is read and refused",
                        10_000,
                        () -> svc.status().problems().stream().anyMatch(p -> p.contains("refused")));
                Thread.sleep(500); // several refreshes of the same version
                RoutingStatus st = svc.status();
                assertTrue(st.degraded(), "what is served is not the DB's data: " + st);
                assertTrue(st.dbReachable(), "the DB answered; its data was refused: " + st);
                assertTrue(svc.lastDbSuccess().orElseThrow().isAfter(lastAnswer), "the DB's answers are seen");
                // A node starting now finds the DB answering with unusable data: it serves its disk snapshot,
                // degraded, and does not call the DB unreachable.
                try (RoutingService late = new RoutingService(link, own, Duration.ofMillis(100), Clock.systemUTC())) {
                    late.start();
                    assertEquals("disk", late.status().source());
                    assertTrue(late.status().degraded());
                    assertTrue(late.status().dbReachable(), late.status().toString());
                }
                RouteDecision d = call(svc, "route?tenant=acme&did=100");
                assertEquals("SIP/1001", d.get("ROUTE_TARGET"), "the last good snapshot still routes calls");
                assertEquals("1", d.get("ROUTE_DEGRADED"));
            } finally {
                cut.set(false);
                SampleRoutingData.load(real);
            }
            await(
                    "usable data again",
                    10_000,
                    () -> !svc.status().degraded() && svc.status().problems().isEmpty());
            assertEquals("0", call(svc, "route?tenant=acme&did=100").get("ROUTE_DEGRADED"));
        }
        await(
                "shared service back on the DB's data",
                10_000,
                () -> !service.status().degraded()
                        && service.status().problems().isEmpty());
    }

    @Test
    void aCorruptFileIsReplacedWhenTheDatabaseIsUp() throws Exception {
        Path other = dir.resolve("replaced.snapshot");
        Files.writeString(other, "garbage that is not a snapshot\n");
        try (RoutingService svc =
                new RoutingService(db.dataSource(), other, Duration.ofMillis(250), Clock.systemUTC())) {
            svc.start();
            assertEquals("database", svc.status().source());
            assertEquals(
                    svc.snapshot().version(), new SnapshotFile(other).read().version());
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new RoutingService(db.dataSource(), file, Duration.ofMillis(1), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("refresh interval"), e.getMessage());
    }

    /** Reads the version from a snapshot file the way a restarting agent would. */
    static final class SnapshotFileTestAccess {
        static long version(Path p) {
            return new SnapshotFile(p).read().version();
        }
    }
}
