package org.pbxagent.agent.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.pbxagent.agent.ami.AsteriskState;
import org.pbxagent.agent.ami.AsteriskStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples this node's load and publishes a {@link NodeLoad} on every interval and at once on every Asterisk
 * availability change. Inputs: the AMI counts and availability, /proc/stat (CPU busy between samples),
 * /proc/meminfo (MemAvailable/MemTotal) and the FastAGI sessions in flight. Score: {@link LoadScore}, held steady by
 * {@link ScoreHysteresis}. Between intervals, a call count change that moves the published score (by the
 * hysteresis rules) is published early, at most once per {@value #MIN_EARLY_GAP_MS} ms, so a real change reaches the
 * balancer well within one interval. Listeners are called from the one sampling thread.
 *
 * <p>Register it with the AMI watch ({@code watch.addListener(monitor)}) so availability changes reach it at once.
 */
public final class LoadMonitor implements AsteriskStateListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadMonitor.class);
    private static final long READ_ERROR_LOG_PERIOD_NANOS = 60_000_000_000L;
    static final long MIN_EARLY_GAP_MS = 100;
    static final long COALESCE_MS = 10;
    static final long MAX_SETTLE_MS = 50;

    private final LoadSettings settings;
    private final Supplier<AsteriskState> asterisk;
    private final IntSupplier agiInFlight;
    private final Path procStat;
    private final Path procMeminfo;
    private final List<NodeLoadListener> listeners = new CopyOnWriteArrayList<>();
    private final ScoreHysteresis hysteresis;
    private final AtomicBoolean immediatePending = new AtomicBoolean();
    private final AtomicBoolean evaluatePending = new AtomicBoolean();

    private ScheduledThreadPoolExecutor executor;
    private volatile NodeLoad current;
    private volatile long lastTransitions = -1;
    private volatile long lastCountChange;

    // Sampling state, used by the sampling thread only.
    private CpuTimes lastCpu;
    private double cpuBusy;
    private double memoryUsed;
    private long lastReadErrorLog;
    private boolean lastAvailable;
    private boolean first = true;
    private long lastEarlyPublish;
    private boolean delayedLookScheduled;
    private long settleSince;

    public LoadMonitor(LoadSettings settings, Supplier<AsteriskState> asterisk, IntSupplier agiInFlight) {
        this(settings, asterisk, agiInFlight, Path.of("/proc/stat"), Path.of("/proc/meminfo"));
    }

    /** With other /proc files (tests, containers that mount a host's /proc elsewhere). */
    public LoadMonitor(
            LoadSettings settings,
            Supplier<AsteriskState> asterisk,
            IntSupplier agiInFlight,
            Path procStat,
            Path procMeminfo) {
        this.settings = settings;
        this.asterisk = asterisk;
        this.agiInFlight = agiInFlight;
        this.procStat = procStat;
        this.procMeminfo = procMeminfo;
        this.hysteresis = new ScoreHysteresis(settings);
        AsteriskState a = asterisk.get();
        this.lastTransitions = a.transitions();
        this.current = new NodeLoad(
                a.available(),
                a.reason(),
                a.activeCalls(),
                a.activeChannels(),
                settings.maxCalls(),
                0,
                0,
                0,
                100,
                Instant.now());
    }

    public void addListener(NodeLoadListener listener) {
        listeners.add(listener);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // sampleAndPublish logs its failures; stop() shuts the executor down
    public synchronized void start() {
        if (executor != null) {
            return;
        }
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "load-monitor");
            t.setDaemon(true);
            return t;
        });
        ex.setRemoveOnCancelPolicy(true);
        ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor = ex;
        ex.scheduleAtFixedRate(this::sampleAndPublish, 0, settings.intervalMs(), TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() {
        ScheduledThreadPoolExecutor ex = executor;
        if (ex == null) {
            return;
        }
        executor = null;
        ex.shutdownNow();
        try {
            ex.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The last published sample. */
    public NodeLoad current() {
        return current;
    }

    /**
     * From the AMI watch's notifier thread: hands an availability change (full sample) or a count change (score
     * re-evaluation) to the sampling thread, coalesced, never blocking the caller.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // evaluateCounts logs its failures; a look lost at stop is not needed
    @Override
    public void onAsteriskState(AsteriskState state) {
        if (state.transitions() == lastTransitions) {
            lastCountChange = System.nanoTime();
            ScheduledThreadPoolExecutor ex = executor;
            if (ex != null && evaluatePending.compareAndSet(false, true)) {
                try {
                    // A short wait gathers a burst of events (several calls set up at once) into one evaluation,
                    // so the published score takes the whole change instead of stopping at its first step.
                    ex.schedule(this::evaluateCounts, COALESCE_MS, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    evaluatePending.set(false); // stopping
                }
            }
            return;
        }
        lastTransitions = state.transitions();
        ScheduledThreadPoolExecutor ex = executor;
        if (ex != null && immediatePending.compareAndSet(false, true)) {
            try {
                ex.execute(() -> {
                    immediatePending.set(false);
                    sampleAndPublish();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                immediatePending.set(false); // stopping
            }
        }
    }

    private void sampleAndPublish() {
        try {
            publish(sample());
        } catch (RuntimeException e) {
            // A failing sample must not cancel the schedule (a thrown exception would).
            log.warn("load sample failed", e);
        }
    }

    /** On the sampling thread: publishes early if the new counts move the published score. */
    @SuppressWarnings("FutureReturnValueIgnored") // the delayed look runs evaluateCounts, which logs its failures
    private void evaluateCounts() {
        // Cleared before reading the counts, so a change arriving while this runs schedules another look.
        evaluatePending.set(false);
        try {
            AsteriskState a = asterisk.get();
            if (first || !a.available() || a.available() != lastAvailable) {
                return; // availability changes take the full-sample path
            }
            int agi = Math.max(0, agiInFlight.getAsInt());
            int computed = LoadScore.score(true, a.activeCalls(), cpuBusy, memoryUsed, agi, settings);
            if (!hysteresis.moves(computed)) {
                settleSince = 0;
                return;
            }
            long now = System.nanoTime();
            ScheduledThreadPoolExecutor ex = executor;
            // Still moving (events of a burst arriving): wait until quiet for COALESCE_MS, at most MAX_SETTLE_MS,
            // so the score is published once with the whole change rather than stuck at a first step.
            if (settleSince == 0) {
                settleSince = now;
            }
            long quietFor = now - lastCountChange;
            if (quietFor < COALESCE_MS * 1_000_000L && now - settleSince < MAX_SETTLE_MS * 1_000_000L) {
                if (!delayedLookScheduled && ex != null) {
                    delayedLookScheduled = true;
                    ex.schedule(
                            () -> {
                                delayedLookScheduled = false;
                                evaluateCounts();
                            },
                            COALESCE_MS * 1_000_000L - quietFor,
                            TimeUnit.NANOSECONDS);
                }
                return;
            }
            long wait = lastEarlyPublish + MIN_EARLY_GAP_MS * 1_000_000L - now;
            if (lastEarlyPublish != 0 && wait > 0) {
                // Too soon after the last early publish: one delayed look covers every change until then.
                if (!delayedLookScheduled && ex != null) {
                    delayedLookScheduled = true;
                    ex.schedule(
                            () -> {
                                delayedLookScheduled = false;
                                evaluateCounts();
                            },
                            wait,
                            TimeUnit.NANOSECONDS);
                }
                return;
            }
            lastEarlyPublish = now;
            settleSince = 0;
            int score = hysteresis.offer(computed, false);
            publish(new NodeLoad(
                    true,
                    "",
                    a.activeCalls(),
                    a.activeChannels(),
                    settings.maxCalls(),
                    cpuBusy,
                    memoryUsed,
                    agi,
                    score,
                    Instant.now()));
        } catch (RuntimeException e) {
            log.warn("load re-evaluation failed", e);
        }
    }

    private NodeLoad sample() {
        readProc();
        AsteriskState a = asterisk.get();
        int agi = Math.max(0, agiInFlight.getAsInt());
        int computed = LoadScore.score(a.available(), a.activeCalls(), cpuBusy, memoryUsed, agi, settings);
        boolean availabilityChanged = first || a.available() != lastAvailable;
        first = false;
        lastAvailable = a.available();
        int score = hysteresis.offer(computed, availabilityChanged);
        return new NodeLoad(
                a.available(),
                a.available() ? "" : a.reason(),
                a.activeCalls(),
                a.activeChannels(),
                settings.maxCalls(),
                cpuBusy,
                memoryUsed,
                agi,
                score,
                Instant.now());
    }

    private void readProc() {
        try {
            CpuTimes cpu = CpuTimes.parse(firstLine(procStat));
            if (lastCpu != null) {
                double busy = cpu.busySince(lastCpu);
                if (!Double.isNaN(busy)) {
                    cpuBusy = busy;
                }
            }
            lastCpu = cpu;
            memoryUsed = MemInfo.parse(Files.readString(procMeminfo, StandardCharsets.US_ASCII))
                    .used();
        } catch (IOException | RuntimeException e) {
            // Keep the last values: a transient read problem must not make the node look idle or full.
            long now = System.nanoTime();
            if (lastReadErrorLog == 0 || now - lastReadErrorLog > READ_ERROR_LOG_PERIOD_NANOS) {
                lastReadErrorLog = now;
                log.warn("cannot read {} / {}: {}", procStat, procMeminfo, e.toString());
            }
        }
    }

    private static String firstLine(Path p) throws IOException {
        try (var r = Files.newBufferedReader(p, StandardCharsets.US_ASCII)) {
            String l = r.readLine();
            return l == null ? "" : l;
        }
    }

    private void publish(NodeLoad load) {
        current = load;
        for (NodeLoadListener l : listeners) {
            try {
                l.onLoad(load);
            } catch (RuntimeException e) {
                log.warn("NodeLoad listener failed", e);
            }
        }
    }
}
