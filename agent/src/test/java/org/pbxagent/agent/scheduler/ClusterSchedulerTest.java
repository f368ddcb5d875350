package org.pbxagent.agent.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pbxagent.agent.db.EmbeddedMariaDb;

/** Two nodes' cluster schedulers on one real MariaDB: each firing runs on exactly one node, and work moves on. */
class ClusterSchedulerTest {
    private static EmbeddedMariaDb mariaDb;

    @BeforeAll
    static void startDb() {
        mariaDb = EmbeddedMariaDb.start(0, null);
    }

    @AfterAll
    static void stopDb() {
        if (mariaDb != null) {
            mariaDb.close();
        }
    }

    private static HikariDataSource pool(String name) {
        HikariConfig c = new HikariConfig();
        c.setPoolName(name);
        c.setJdbcUrl(mariaDb.jdbcUrl());
        c.setUsername("root");
        c.setMaximumPoolSize(4);
        c.setConnectionTimeout(2000);
        return new HikariDataSource(c);
    }

    @Test
    void eachFiringRunsOnExactlyOneNodeAndTheSurvivorTakesOver() throws Exception {
        List<String> executions = new CopyOnWriteArrayList<>();
        List<String> listenerSeen = new CopyOnWriteArrayList<>();
        try (HikariDataSource ds1 = pool("node-a"); HikariDataSource ds2 = pool("node-b")) {
            ClusterScheduler a = new ClusterScheduler(ds1, "pbx1", Duration.ofMillis(1000), Duration.ofMillis(5000), 2,
                    (t, when, outcome, detail) -> listenerSeen.add("pbx1:" + outcome));
            ClusterScheduler b = new ClusterScheduler(ds2, "pbx2", Duration.ofMillis(1000), Duration.ofMillis(5000), 2,
                    (t, when, outcome, detail) -> listenerSeen.add("pbx2:" + outcome));
            a.add(task("probe", executions, "pbx1"));
            b.add(task("probe", executions, "pbx2"));
            try {
                a.start();
                b.start();
                waitForRuns(ds1, 6, Duration.ofSeconds(20));
            } finally {
                a.close();
            }
            long afterStop = maxFire(ds2);
            try {
                waitForRunsAfter(ds2, afterStop, 2, Duration.ofSeconds(15));
            } finally {
                b.close();
            }

            Map<Long, Integer> perFiring = new HashMap<>();
            List<String> nodesAfterStop = new ArrayList<>();
            try (Connection c = ds1.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT scheduled_fire_time, node_id, outcome "
                         + "FROM agent_cluster_job_run WHERE job_name = 'probe'")) {
                while (rs.next()) {
                    perFiring.merge(rs.getLong(1), 1, Integer::sum);
                    assertEquals("ok", rs.getString(3));
                    if (rs.getLong(1) > afterStop) {
                        nodesAfterStop.add(rs.getString(2));
                    }
                }
            }
            assertTrue(perFiring.size() >= 8, "runs recorded: " + perFiring);
            perFiring.forEach((fire, n) -> assertEquals(1, n, "firing " + fire + " recorded " + n + " times"));
            // The task itself ran once per firing, not only the record.
            assertEquals(perFiring.size(), executions.size(), "task runs " + executions);
            assertTrue(!nodesAfterStop.isEmpty() && nodesAfterStop.stream().allMatch("pbx2"::equals),
                    "after pbx1 stopped: " + nodesAfterStop);
            assertEquals(perFiring.size(), listenerSeen.size());
        }
    }

    private static ClusterTask task(String name, List<String> executions, String node) {
        return new ClusterTask() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Duration period() {
                return Duration.ofMillis(1000);
            }

            @Override
            public String run() {
                executions.add(node);
                return "ran on " + node;
            }
        };
    }

    private static void waitForRuns(HikariDataSource ds, int n, Duration max) throws Exception {
        waitForRunsAfter(ds, -1, n, max);
    }

    private static void waitForRunsAfter(HikariDataSource ds, long after, int n, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM agent_cluster_job_run WHERE outcome <> "
                         + "'running' AND scheduled_fire_time > " + after)) {
                rs.next();
                if (rs.getInt(1) >= n) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("fewer than " + n + " runs within " + max);
    }

    private static long maxFire(HikariDataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(scheduled_fire_time), 0) FROM agent_cluster_job_run")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
