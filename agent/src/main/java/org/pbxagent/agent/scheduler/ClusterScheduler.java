package org.pbxagent.agent.scheduler;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.pbxagent.agent.module.AgentComponent;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.SimpleTrigger;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that runs once per cluster: a Quartz scheduler on the clustered JDBC store (JobStoreTX, isClustered=true) in
 * the shared DB. Every node runs one with the same scheduler name and its own instance id; Quartz's row locks hand
 * each firing to exactly one of them, and a node that stops checking in has its work taken over by the others.
 */
public final class ClusterScheduler implements AgentComponent {
    private static final Logger log = LoggerFactory.getLogger(ClusterScheduler.class);
    public static final String SCHEDULER_NAME = "pbx-agent-cluster";
    private static final String GROUP = "pbx-agent";
    private static final AtomicInteger DS_SEQ = new AtomicInteger();

    /** Told about every run this node made, for /status and metrics. */
    @FunctionalInterface
    public interface RunListener {
        void ran(String task, long scheduledFireTime, String outcome, String detail);
    }

    private final DataSource dataSource;
    private final String instanceId;
    private final Duration checkin;
    private final Duration misfireThreshold;
    private final int threads;
    private final Map<String, ClusterTask> tasks = new ConcurrentHashMap<>();
    private final List<ClusterTask> order = new ArrayList<>();
    private final RunListener listener;
    private Scheduler scheduler;
    /** Quartz looks the pool up by name in a JVM-wide registry; one name per instance, reused across restarts. */
    private final String dsName = "pbxagent-" + DS_SEQ.incrementAndGet();

    /**
     * @param instanceId this node's id, unique in the cluster (the node id)
     */
    public ClusterScheduler(
            DataSource dataSource,
            String instanceId,
            Duration checkin,
            Duration misfireThreshold,
            int threads,
            RunListener listener) {
        this.dataSource = dataSource;
        this.instanceId = instanceId;
        this.checkin = checkin;
        this.misfireThreshold = misfireThreshold;
        this.threads = threads;
        this.listener = listener;
    }

    /** Registers a task; call before {@link #start()}. */
    public void add(ClusterTask task) {
        if (tasks.putIfAbsent(task.name(), task) != null) {
            throw new IllegalArgumentException("cluster task '" + task.name() + "' added twice");
        }
        order.add(task);
    }

    @Override
    public String name() {
        return "cluster-scheduler";
    }

    @Override
    public synchronized void start() throws SchedulerException {
        SchedulerSchema.migrate(dataSource);
        DBConnectionManager.getInstance().addConnectionProvider(dsName, new PoolProvider(dataSource));
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
        p.setProperty("org.quartz.scheduler.instanceId", instanceId);
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.scheduler.threadName", "cluster-scheduler-" + instanceId);
        p.setProperty("org.quartz.threadPool.threadCount", String.valueOf(threads));
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", dsName);
        p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", String.valueOf(checkin.toMillis()));
        p.setProperty("org.quartz.jobStore.misfireThreshold", String.valueOf(misfireThreshold.toMillis()));
        // Job data as strings only: no Java serialisation in the shared DB.
        p.setProperty("org.quartz.jobStore.useProperties", "true");
        p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
        Scheduler s = new StdSchedulerFactory(p).getScheduler();
        // The daemon keeps its own reference; leaving the scheduler in Quartz's JVM-wide repository would hand this
        // instance back to a second one with the same cluster name in the same JVM.
        SchedulerRepository.getInstance().remove(SCHEDULER_NAME);
        s.getContext().put(ClusterTaskJob.TASKS, tasks);
        s.getContext().put(ClusterTaskJob.DATA_SOURCE, dataSource);
        s.getContext().put(ClusterTaskJob.NODE, instanceId);
        s.getContext().put(ClusterTaskJob.LISTENER, listener);
        for (ClusterTask t : order) {
            ensureScheduled(s, t);
        }
        s.start();
        scheduler = s;
        log.info("cluster scheduler started as instance {} with {} task(s)", instanceId, order.size());
    }

    /**
     * Creates the task's job and trigger unless another node already did with the same period, so a node joining
     * does not shift the cluster's firing times.
     */
    private static void ensureScheduled(Scheduler s, ClusterTask t) throws SchedulerException {
        JobKey jobKey = JobKey.jobKey(t.name(), GROUP);
        TriggerKey triggerKey = TriggerKey.triggerKey(t.name(), GROUP);
        Trigger existing = s.getTrigger(triggerKey);
        long period = t.period().toMillis();
        if (existing instanceof SimpleTrigger st && st.getRepeatInterval() == period && s.checkExists(jobKey)) {
            return;
        }
        JobDetail job = JobBuilder.newJob(ClusterTaskJob.class)
                .withIdentity(jobKey)
                .storeDurably()
                .withDescription("pbx-agent cluster task " + t.name())
                .build();
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(triggerKey)
                .forJob(jobKey)
                .startNow()
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(period)
                        .repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
        try {
            s.scheduleJob(job, java.util.Set.of(trigger), true);
        } catch (org.quartz.ObjectAlreadyExistsException raced) {
            // Another node created it at the same moment: theirs is as good as ours.
        }
    }

    public boolean isRunning() {
        try {
            return scheduler != null && scheduler.isStarted() && !scheduler.isShutdown();
        } catch (SchedulerException e) {
            return false;
        }
    }

    /** How long close waits for a running task to finish and record its run. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            // Wait for a running task, so that its run record is completed and the firing is not re-run, but only
            // so long: with the DB gone, Quartz retries that record until its store shuts down, which happens only
            // after the wait (its worker threads are daemons and end with the JVM).
            Scheduler s = scheduler;
            Thread stopper = new Thread(
                    () -> {
                        try {
                            s.shutdown(true);
                        } catch (SchedulerException e) {
                            log.warn("cluster scheduler did not shut down cleanly: {}", e.getMessage());
                        }
                    },
                    "cluster-scheduler-stop");
            stopper.setDaemon(true);
            stopper.start();
            try {
                stopper.join(CLOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (stopper.isAlive()) {
                log.warn(
                        "cluster scheduler: a task's run record could not be completed within {} s (database"
                                + " unreachable?); it is completed if the database answers while this process runs",
                        CLOSE_WAIT.toSeconds());
            }
            scheduler = null;
        }
        // The pool belongs to the daemon: Quartz only loses its way to it.
        DBConnectionManager.getInstance().addConnectionProvider(dsName, new PoolProvider(null));
    }

    /** Quartz's view of the daemon's pool; Quartz must not close it. */
    private record PoolProvider(DataSource ds) implements ConnectionProvider {
        @Override
        public Connection getConnection() throws SQLException {
            if (ds == null) {
                throw new SQLException("cluster scheduler stopped");
            }
            return ds.getConnection();
        }

        @Override
        public void shutdown() {}

        @Override
        public void initialize() {}
    }
}
