package org.pbxagent.agent.scheduler;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.pbxagent.agent.module.AgentComponent;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic work of this node only, on an in-memory Quartz scheduler (RAMJobStore). A run never overlaps the
 * previous one of the same task, a slow run delays only its own task, and a failing run is logged and retried at
 * the next period.
 */
public final class LocalScheduler implements AgentComponent {
    private static final Logger log = LoggerFactory.getLogger(LocalScheduler.class);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String TASK = "task";

    private final int threads;
    private final Map<String, Runnable> tasks = new ConcurrentHashMap<>();
    private final Map<String, Duration> periods = new ConcurrentHashMap<>();
    private Scheduler scheduler;

    public LocalScheduler(int threads) {
        this.threads = threads;
    }

    /** Registers periodic work; before or after start. */
    public synchronized void every(String name, Duration period, Runnable task) {
        if (tasks.putIfAbsent(name, task) != null) {
            throw new IllegalArgumentException("local task '" + name + "' added twice");
        }
        periods.put(name, period);
        if (scheduler != null) {
            schedule(scheduler, name);
        }
    }

    @Override
    public String name() {
        return "local-scheduler";
    }

    @Override
    public synchronized void start() throws SchedulerException {
        String name = "pbx-agent-local-" + SEQ.incrementAndGet();
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", name);
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.scheduler.threadName", "local-scheduler");
        p.setProperty("org.quartz.threadPool.threadCount", String.valueOf(threads));
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        Scheduler s = new StdSchedulerFactory(p).getScheduler();
        SchedulerRepository.getInstance().remove(name);
        s.getContext().put(TASK, tasks);
        for (String t : tasks.keySet()) {
            schedule(s, t);
        }
        s.start();
        scheduler = s;
    }

    private void schedule(Scheduler s, String name) {
        try {
            s.scheduleJob(
                    JobBuilder.newJob(LocalJob.class).withIdentity(name).build(),
                    TriggerBuilder.newTrigger()
                            .withIdentity(name)
                            .startNow()
                            .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                                    .withIntervalInMilliseconds(
                                            periods.get(name).toMillis())
                                    .repeatForever()
                                    .withMisfireHandlingInstructionNextWithRemainingCount())
                            .build());
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot schedule local task " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            try {
                scheduler.shutdown(true);
            } catch (SchedulerException e) {
                log.warn("local scheduler did not shut down cleanly: {}", e.getMessage());
            }
            scheduler = null;
        }
    }

    /** Runs the named Runnable from the scheduler context. */
    @DisallowConcurrentExecution
    public static final class LocalJob implements Job {
        @Override
        public void execute(JobExecutionContext ctx) {
            String name = ctx.getJobDetail().getKey().getName();
            try {
                Map<?, ?> all = (Map<?, ?>) ctx.getScheduler().getContext().get(TASK);
                Runnable r = (Runnable) all.get(name);
                if (r != null) {
                    r.run();
                }
            } catch (SchedulerException | RuntimeException e) {
                log.warn("local task {} failed: {}", name, e.toString());
            }
        }
    }
}
