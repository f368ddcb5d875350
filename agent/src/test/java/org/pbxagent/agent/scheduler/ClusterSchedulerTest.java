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
        try (HikariDataSource ds1 = pool("node-a");
                HikariDataSource ds2 = pool("node-b")) {
            ClusterScheduler a = new ClusterScheduler(
                    ds1,
                    "pbx1",
                    Duration.ofMillis(1000),
                    Duration.ofMillis(5000),
                    2,
                    (t, when, outcome, detail) -> listenerSeen.add("pbx1:" + outcome));
            ClusterScheduler b = new ClusterScheduler(
                    ds2,
                    "pbx2",
                    Duration.ofMillis(1000),
                    Duration.ofMillis(5000),
                    2,
                    (t, when, outcome, detail) -> listenerSeen.add("pbx2:" + outcome));
            a.add(task("probe", executions, "pbx1"));
            b.add(task("probe", executions, "pbx2"));
            try {
                a.start();
                b.start();
                waitForJobRuns(ds1, "probe", -1, 6, Duration.ofSeconds(20));
            } finally {
                a.close();
            }
            long afterStop = maxFire(ds2, "probe");
            try {
                waitForJobRuns(ds2, "probe", afterStop, 2, Duration.ofSeconds(15));
            } finally {
                b.close();
            }

            Map<Long, Integer> perFiring = new HashMap<>();
            List<String> nodesAfterStop = new ArrayList<>();
            try (Connection c = ds1.getConnection();
                    Statement st = c.createStatement();
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
            assertTrue(
                    !nodesAfterStop.isEmpty() && nodesAfterStop.stream().allMatch("pbx2"::equals),
                    "after pbx1 stopped: " + nodesAfterStop);
            assertEquals(perFiring.size(), listenerSeen.size());
        }
    }

    /**
     * A node cut off from the DB (network partition, hung node) cannot run cluster work, and stops checking in; the
     * other node takes its work over. No firing runs twice on the way.
     */
    @Test
    void aNodeCutOffFromTheDatabaseLosesItsWorkToTheOther() throws Exception {
        List<String> executions = new CopyOnWriteArrayList<>();
        try (HikariDataSource ds1 = pool("cut-a");
                HikariDataSource ds2 = pool("cut-b")) {
            CuttableDataSource cuttable = new CuttableDataSource(ds1);
            ClusterScheduler a = new ClusterScheduler(
                    cuttable, "pbx1", Duration.ofMillis(1000), Duration.ofMillis(5000), 2, (t, w, o, d) -> {});
            ClusterScheduler b = new ClusterScheduler(
                    ds2, "pbx2", Duration.ofMillis(1000), Duration.ofMillis(5000), 2, (t, w, o, d) -> {});
            a.add(task("partition-probe", executions, "pbx1"));
            b.add(task("partition-probe", executions, "pbx2"));
            try {
                a.start();
                waitForJobRuns(ds2, "partition-probe", -1, 2, Duration.ofSeconds(20));
                b.start();
                cuttable.cut();
                long cutAt = System.currentTimeMillis();
                // Quartz declares a node failed some seconds after its last check-in; then pbx2 runs the work.
                waitForJobRuns(ds2, "partition-probe", cutAt, 3, Duration.ofSeconds(40));
                Map<Long, Integer> perFiring = new HashMap<>();
                List<String> nodesAfterCut = new ArrayList<>();
                try (Connection c = ds2.getConnection();
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT scheduled_fire_time, node_id FROM agent_cluster_job_run"
                                + " WHERE job_name = 'partition-probe'")) {
                    while (rs.next()) {
                        perFiring.merge(rs.getLong(1), 1, Integer::sum);
                        if (rs.getLong(1) > cutAt) {
                            nodesAfterCut.add(rs.getString(2));
                        }
                    }
                }
                perFiring.forEach((fire, n) -> assertEquals(1, n, "firing " + fire + " recorded " + n + " times"));
                assertTrue(
                        nodesAfterCut.size() >= 3 && nodesAfterCut.stream().allMatch("pbx2"::equals),
                        "after the cut: " + nodesAfterCut);
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /** Delegates to a pool until cut; then every connection attempt fails, as with a partitioned network. */
    private static final class CuttableDataSource implements javax.sql.DataSource {
        private final javax.sql.DataSource delegate;
        private volatile boolean cut;

        CuttableDataSource(javax.sql.DataSource delegate) {
            this.delegate = delegate;
        }

        void cut() {
            cut = true;
        }

        @Override
        public Connection getConnection() throws java.sql.SQLException {
            if (cut) {
                throw new java.sql.SQLException("cut off from the DB (test)");
            }
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws java.sql.SQLException {
            return getConnection();
        }

        @Override
        public java.io.PrintWriter getLogWriter() throws java.sql.SQLException {
            return delegate.getLogWriter();
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) throws java.sql.SQLException {
            delegate.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws java.sql.SQLException {
            delegate.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws java.sql.SQLException {
            return delegate.getLoginTimeout();
        }

        @Override
        public java.util.logging.Logger getParentLogger() {
            return java.util.logging.Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
            throw new java.sql.SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    private static void waitForJobRuns(HikariDataSource ds, String job, long after, int n, Duration max)
            throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = ds.getConnection();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM agent_cluster_job_run WHERE outcome <> "
                            + "'running' AND job_name = '" + job + "' AND scheduled_fire_time > " + after)) {
                rs.next();
                if (rs.getInt(1) >= n) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("fewer than " + n + " runs of " + job + " within " + max);
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

    private static long maxFire(HikariDataSource ds, String job) throws Exception {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(scheduled_fire_time), 0) FROM agent_cluster_job_run"
                        + " WHERE job_name = '" + job + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
