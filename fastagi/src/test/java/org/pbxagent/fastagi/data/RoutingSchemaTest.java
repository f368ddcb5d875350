package org.pbxagent.fastagi.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Flyway schema and the sample data on a real MariaDB. */
class RoutingSchemaTest {
    static TestDatabase db;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.start();
        RoutingSchema.migrate(db.dataSource());
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void migrateTwiceIsHarmlessAndSampleDataLoadsOnce() throws Exception {
        assertEquals(0, RoutingSchema.migrate(db.dataSource()).migrationsExecuted);
        SampleRoutingData.load(db.dataSource());
        RoutingData first = new RoutingDataReader(db.dataSource()).read();
        SampleRoutingData.load(db.dataSource());
        RoutingData second = new RoutingDataReader(db.dataSource()).read();
        assertEquals(first.version(), second.version(), "second sample load changed nothing");
        assertEquals(
                List.of("acme", "default"),
                first.tenants().stream().map(RoutingData.Tenant::name).toList());
        RoutingData.OutboundRoute pstn = first.outboundRoutes().stream()
                .filter(o -> o.tenant().equals("acme") && o.name().equals("pstn"))
                .findFirst()
                .orElseThrow();
        assertEquals(List.of("carrier-a", "carrier-b"), pstn.trunks(), "trunks in failover order");
        RoutingData.RingGroup hunt = first.ringGroups().stream()
                .filter(g -> g.tenant().equals("acme") && g.number().equals("601"))
                .findFirst()
                .orElseThrow();
        assertEquals(List.of("1002", "1003"), hunt.members());
        RoutingData.TimeCondition bh = first.timeConditions().get(0);
        assertEquals(5, bh.ranges().size());
        assertEquals("08:00:00", bh.ranges().get(0).start());
        assertTrue(bh.exceptions().stream().anyMatch(x -> x.date().equals("2026-12-25") && !x.open()));
    }

    @Test
    void theInMemorySampleIsExactlyWhatTheDatabaseHolds() throws Exception {
        SampleRoutingData.load(db.dataSource());
        RoutingData memory = SampleRoutingData.data();
        RoutingData back = new RoutingDataReader(db.dataSource()).read();
        assertEquals(java.util.Set.copyOf(memory.tenants()), java.util.Set.copyOf(back.tenants()));
        assertEquals(java.util.Set.copyOf(memory.extensions()), java.util.Set.copyOf(back.extensions()));
        assertEquals(java.util.Set.copyOf(memory.timeConditions()), java.util.Set.copyOf(back.timeConditions()));
        assertEquals(java.util.Set.copyOf(memory.ringGroups()), java.util.Set.copyOf(back.ringGroups()));
        assertEquals(java.util.Set.copyOf(memory.queues()), java.util.Set.copyOf(back.queues()));
        assertEquals(java.util.Set.copyOf(memory.inboundRoutes()), java.util.Set.copyOf(back.inboundRoutes()));
        assertEquals(java.util.Set.copyOf(memory.trunks()), java.util.Set.copyOf(back.trunks()));
        assertEquals(java.util.Set.copyOf(memory.outboundRoutes()), java.util.Set.copyOf(back.outboundRoutes()));
        assertEquals(java.util.Set.copyOf(memory.blockedCallers()), java.util.Set.copyOf(back.blockedCallers()));
    }

    @Test
    void everyWriteBumpsTheVersion() throws Exception {
        SampleRoutingData.load(db.dataSource());
        RoutingDataReader reader = new RoutingDataReader(db.dataSource());
        long v0 = reader.version();
        db.update(
                "UPDATE extension SET dnd = 1 WHERE number = ? AND tenant_id = (SELECT id FROM tenant WHERE name = ?)",
                "1003",
                "default");
        long v1 = reader.version();
        assertTrue(v1 > v0, "update bumps");
        db.update("DELETE FROM blocked_caller WHERE pattern = ?", "nothing-matches-this");
        assertEquals(v1, reader.version(), "a statement that changes no row does not bump");
        db.update(
                "INSERT INTO blocked_caller (tenant_id, pattern) SELECT id, ? FROM tenant WHERE name = ?",
                "5559999",
                "default");
        long v2 = reader.version();
        assertTrue(v2 > v1, "insert bumps");
        db.update("DELETE FROM blocked_caller WHERE pattern = ?", "5559999");
        assertTrue(reader.version() > v2, "delete bumps");
        db.update("UPDATE extension SET dnd = 0 WHERE number = ?", "1003");
    }

    @Test
    void constraintsRejectWhatCannotWork() {
        SampleRoutingData.load(db.dataSource());
        assertThrows(
                SQLException.class,
                () -> db.update(
                        "INSERT INTO ring_group (tenant_id, number, strategy, no_answer_type, no_answer_ref)"
                                + " SELECT id, ?, ?, ?, ? FROM tenant WHERE name = ?",
                        "777",
                        "RANDOM",
                        "HANGUP",
                        "16",
                        "acme"),
                "unknown strategy refused by CHECK");
        assertThrows(
                SQLException.class,
                () -> db.update(
                        "INSERT INTO extension (tenant_id, number, endpoint) SELECT id, ?, ? FROM tenant WHERE name = ?",
                        "1001",
                        "SIP/x",
                        "acme"),
                "duplicate extension number in one tenant");
        assertThrows(
                SQLException.class,
                () -> db.update(
                        "INSERT INTO time_range (time_condition_id, day_of_week, start_time, end_time) VALUES (?, ?, ?, ?)",
                        999999,
                        1,
                        "08:00:00",
                        "09:00:00"),
                "foreign key");
    }

    @Test
    void twoNodesMigratingAtOnceApplyEachMigrationOnce() throws Exception {
        String url = db.jdbcUrl().replace("/" + TestDatabase.SCHEMA + "?", "/pbx_concurrent?");
        try (HikariDataSource a = RoutingDataSource.create(url, "root", "");
                HikariDataSource b = RoutingDataSource.create(url, "root", "")) {
            var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var fa = pool.submit(() -> RoutingSchema.migrate(a).migrationsExecuted);
                var fb = pool.submit(() -> RoutingSchema.migrate(b).migrationsExecuted);
                int applied = fa.get(60, java.util.concurrent.TimeUnit.SECONDS)
                        + fb.get(60, java.util.concurrent.TimeUnit.SECONDS);
                int inHistory = org.flywaydb.core.Flyway.configure()
                        .dataSource(a)
                        .table("routing_schema_history")
                        .load()
                        .info()
                        .applied()
                        .length;
                assertTrue(inHistory >= 3, "all migrations recorded");
                assertEquals(inHistory, applied, "each migration applied by exactly one node");
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1L, new RoutingDataReader(a).version(), "schema usable");
        }
    }

    @Test
    void migrationAgainstANonExistingServerFailsClearly() {
        try (HikariDataSource dead = RoutingDataSource.create("jdbc:mysql://127.0.0.1:1/none", "root", "")) {
            RoutingDataException e = assertThrows(RoutingDataException.class, () -> RoutingSchema.migrate(dead));
            assertTrue(e.getMessage().startsWith("routing schema migration failed"), e.getMessage());
        }
    }
}
