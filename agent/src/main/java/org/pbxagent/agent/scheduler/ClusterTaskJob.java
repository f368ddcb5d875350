package org.pbxagent.agent.scheduler;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Quartz job class of the cluster scheduler: finds the {@link ClusterTask} by job name in this node's
 * scheduler context, runs it, and records the run in {@code agent_cluster_job_run}. Only plain strings go into the
 * shared job store, so any node of any build can load every row.
 */
@DisallowConcurrentExecution
public final class ClusterTaskJob implements Job {
    private static final Logger log = LoggerFactory.getLogger(ClusterTaskJob.class);
    static final String TASKS = "pbxagent.tasks";
    static final String DATA_SOURCE = "pbxagent.dataSource";
    static final String NODE = "pbxagent.node";
    static final String LISTENER = "pbxagent.listener";
    private static final int DETAIL_MAX = 1000;

    @Override
    public void execute(JobExecutionContext ctx) throws JobExecutionException {
        String name = ctx.getJobDetail().getKey().getName();
        Map<?, ?> tasks;
        DataSource ds;
        String node;
        ClusterScheduler.RunListener listener;
        try {
            tasks = (Map<?, ?>) ctx.getScheduler().getContext().get(TASKS);
            ds = (DataSource) ctx.getScheduler().getContext().get(DATA_SOURCE);
            node = (String) ctx.getScheduler().getContext().get(NODE);
            listener = (ClusterScheduler.RunListener)
                    ctx.getScheduler().getContext().get(LISTENER);
        } catch (SchedulerException e) {
            throw new JobExecutionException("scheduler context unavailable", e);
        }
        ClusterTask task = (ClusterTask) tasks.get(name);
        if (task == null) {
            // Another node registered a task this build does not know: leave it to the nodes that do.
            log.warn("cluster job {} has no task on this node; skipped", name);
            return;
        }
        long scheduled = ctx.getScheduledFireTime().toInstant().toEpochMilli();
        long started = System.currentTimeMillis();
        long runId = -1;
        try {
            runId = recordStart(ds, name, scheduled, ctx.getFireInstanceId(), node, started);
        } catch (SQLException e) {
            log.warn("cluster job {}: cannot record the run start: {}", name, e.getMessage());
        }
        String outcome;
        String detail;
        try {
            detail = task.run();
            outcome = "ok";
        } catch (Exception e) {
            detail = e.getClass().getSimpleName() + ": " + e.getMessage();
            outcome = "failed";
            log.warn("cluster job {} failed: {}", name, detail);
        }
        if (detail != null && detail.length() > DETAIL_MAX) {
            detail = detail.substring(0, DETAIL_MAX - 3) + "...";
        }
        if (runId >= 0) {
            try {
                recordEnd(ds, runId, outcome, detail);
            } catch (SQLException e) {
                log.warn("cluster job {}: cannot record the run end: {}", name, e.getMessage());
            }
        }
        if (listener != null) {
            listener.ran(name, scheduled, outcome, detail);
        }
    }

    private static long recordStart(DataSource ds, String job, long scheduled, String fireId, String node, long started)
            throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO agent_cluster_job_run (job_name, "
                                + "scheduled_fire_time, fire_instance_id, node_id, started_at, outcome) "
                                + "VALUES (?, ?, ?, ?, ?, 'running')",
                        Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, job);
            ps.setLong(2, scheduled);
            ps.setString(3, fireId);
            ps.setString(4, node);
            ps.setLong(5, started);
            ps.executeUpdate();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    private static void recordEnd(DataSource ds, long id, String outcome, String detail) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE agent_cluster_job_run SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?")) {
            ps.setLong(1, System.currentTimeMillis());
            ps.setString(2, outcome);
            ps.setString(3, detail);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }
}
