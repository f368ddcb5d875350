package org.pbxagent.agent.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The last 15 minutes of what the status page plots (score, calls, decisions per second, degraded answers per
 * second), sampled from the metrics every {@link #PERIOD} into a fixed ring: memory stays constant however long the
 * agent runs. A value that does not exist (no AMI, no decision yet) is NaN and drawn as a gap.
 */
public final class StatusHistory implements AutoCloseable {
    public static final Duration PERIOD = Duration.ofSeconds(5);
    public static final Duration SPAN = Duration.ofMinutes(15);
    static final int POINTS = (int) (SPAN.toMillis() / PERIOD.toMillis());

    /** One sample; rates are per second over the period before it. */
    public record Point(
            long epochMs, double score, double calls, double decisionsPerSecond, double degradedPerSecond) {}

    private final MeterRegistry meters;
    private final Clock clock;
    private final Point[] ring = new Point[POINTS];
    private int next;
    private int size;
    private double lastDecisions = Double.NaN;
    private double lastDegraded = Double.NaN;
    private long lastNanos;
    private ScheduledExecutorService timer;

    public StatusHistory(MeterRegistry meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // sampleQuietly catches everything; stop() ends the executor
    public synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "status-history");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::sampleQuietly, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            // a missing or failing meter leaves a gap, never stops the sampling
        }
    }

    /** Takes one sample now (the timer calls this; tests may too). */
    synchronized void sample() {
        long now = System.nanoTime();
        double decisions = 0;
        double degraded = 0;
        boolean any = false;
        for (Counter c : meters.find("pbxagent_route_decisions").counters()) {
            any = true;
            decisions += c.count();
            if ("true".equals(c.getId().getTag("degraded"))) {
                degraded += c.count();
            }
        }
        double seconds = (now - lastNanos) / 1e9;
        double dps = Double.NaN;
        double gps = Double.NaN;
        if (!Double.isNaN(lastDecisions) && seconds > 0) {
            dps = Math.max(0, decisions - lastDecisions) / seconds;
            gps = Math.max(0, degraded - lastDegraded) / seconds;
        } else if (!any) {
            dps = Double.NaN;
        }
        lastDecisions = decisions;
        lastDegraded = degraded;
        lastNanos = now;
        ring[next] = new Point(
                clock.millis(), gauge("pbxagent_load_score"), gauge("pbxagent_asterisk_active_calls"), dps, gps);
        next = (next + 1) % POINTS;
        size = Math.min(size + 1, POINTS);
    }

    private double gauge(String name) {
        Gauge g = meters.find(name).gauge();
        return g == null ? Double.NaN : g.value();
    }

    /** Oldest first. */
    public synchronized List<Point> points() {
        List<Point> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(ring[(next - size + i + POINTS) % POINTS]);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
