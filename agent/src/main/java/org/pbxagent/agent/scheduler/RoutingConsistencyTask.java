package org.pbxagent.agent.scheduler;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.pbxagent.fastagi.routing.RoutingConsistencyCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster work: checks the shared routing data for destinations that point at nothing (and the other problems the
 * routing compiler finds), once per period for the whole cluster. The node that ran it logs every problem; every
 * node learns the latest result from the run records ({@link #refreshFromRunRecords()}), so /status and /metrics
 * agree on all nodes.
 */
public final class RoutingConsistencyTask implements ClusterTask {
    private static final Logger log = LoggerFactory.getLogger(RoutingConsistencyTask.class);
    public static final String NAME = "routing-consistency";

    private final DataSource dataSource;
    private final Duration period;
    private final String nodeId;
    private volatile Result last;

    /**
     * @param problems -1 until a check has run anywhere
     */
    public record Result(int problems, String summary, String node, Instant at) {}

    public RoutingConsistencyTask(DataSource dataSource, Duration period, String nodeId) {
        this.dataSource = dataSource;
        this.period = period;
        this.nodeId = nodeId;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Duration period() {
        return period;
    }

    @Override
    public String run() {
        List<String> problems = RoutingConsistencyCheck.run(dataSource);
        for (String p : problems) {
            log.warn("routing consistency: {}", p);
        }
        String summary =
                problems.size() + " problem(s)" + (problems.isEmpty() ? "" : ": " + String.join("; ", problems));
        last = new Result(problems.size(), summary, nodeId, Instant.now());
        return summary;
    }

    /** Reads the cluster's latest finished run of this check; quietly keeps the old result when the DB is down. */
    public void refreshFromRunRecords() {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT detail, node_id, finished_at FROM agent_cluster_job_run"
                                + " WHERE job_name = ? AND outcome = 'ok' ORDER BY finished_at DESC LIMIT 1")) {
            ps.setString(1, NAME);
            ps.setQueryTimeout(5);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String detail = rs.getString(1);
                    int n = parseCount(detail);
                    last = new Result(n, detail, rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)));
                }
            }
        } catch (SQLException e) {
            log.debug("consistency result not refreshed: {}", e.getMessage());
        }
    }

    private static int parseCount(String detail) {
        if (detail == null) {
            return -1;
        }
        int sp = detail.indexOf(' ');
        try {
            return Integer.parseInt(sp < 0 ? detail : detail.substring(0, sp));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Number of problems found by the latest check, -1 before any. */
    public int problemCount() {
        Result r = last;
        return r == null ? -1 : r.problems();
    }

    public Map<String, Object> statusSection() {
        Result r = last;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("period_s", period.toSeconds());
        if (r == null) {
            m.put("last_run", null);
        } else {
            m.put("problems", r.problems());
            m.put("summary", r.summary());
            m.put("ran_on", r.node());
            m.put("at", r.at().toString());
        }
        return m;
    }
}
