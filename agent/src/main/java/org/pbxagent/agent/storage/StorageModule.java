package org.pbxagent.agent.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import org.pbxagent.agent.module.AgentModule;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.Health;
import org.pbxagent.agent.module.OptionalGauge;
import org.pbxagent.storage.probe.ProbeReport;

/**
 * Watches this node's shared storage from the daemon, for /status, the status page and /metrics: the storage probe
 * at check level 0 (mounted from the right device, iSCSI session up) every {@link #PERIOD}. The I/O levels stay
 * with Pacemaker's monitor, which runs as root: the daemon's account may not read the block device, and a level 20
 * write here would race the monitor's write of the same status file. Pacemaker's pbx-storage resource owns the
 * storage: the result is reported, never acted on, and is a /health note, not a failure.
 */
public final class StorageModule implements AgentModule {
    static final Duration PERIOD = Duration.ofSeconds(30);
    static final int DEPTH = 0;

    /** The latest probe and when it ran. */
    record Latest(ProbeReport report, Instant at) {}

    private volatile Latest latest;
    private volatile Instant lastHealthy;

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public void install(AgentRuntime runtime) {
        if (!runtime.config().has(StorageSettings.class)) {
            return; // no storage.* keys: this node's storage is not the agent's (the page says so)
        }
        StorageNode node;
        try {
            node = StorageNode.from(runtime.config());
        } catch (org.pbxagent.agent.config.ConfigException | IllegalArgumentException e) {
            // Calls do not depend on the daemon watching storage: say what is wrong, and serve.
            String why = "not watched: " + e.getMessage().strip();
            runtime.status("storage", () -> Map.of("summary", why));
            runtime.health("storage", () -> Health.ok("storage " + why));
            return;
        }
        MeterRegistry meters = runtime.meters();
        Clock clock = runtime.clock();
        Timer duration = Timer.builder("pbxagent_storage_probe_duration")
                .description("time of the daemon's storage probe (check level " + DEPTH + ")")
                .serviceLevelObjectives(
                        Duration.ofMillis(10),
                        Duration.ofMillis(50),
                        Duration.ofMillis(100),
                        Duration.ofMillis(500),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(5))
                .register(meters);
        Map<String, Counter> results = new LinkedHashMap<>();
        for (String result : new String[] {"healthy", "not_mounted", "failed"}) {
            results.put(
                    result,
                    Counter.builder("pbxagent_storage_probes")
                            .description("storage probes run by the daemon, by result")
                            .tag("result", result)
                            .register(meters));
        }
        OptionalGauge.register(
                meters,
                "pbxagent_storage_healthy",
                "1 when the latest storage probe found the shared storage healthy",
                () -> {
                    Latest l = latest;
                    return l == null
                            ? OptionalDouble.empty()
                            : OptionalDouble.of(l.report().healthy() ? 1 : 0);
                });
        OptionalGauge.register(
                meters,
                "pbxagent_storage_last_healthy_probe_timestamp_seconds",
                "when a storage probe last found the shared storage healthy (Unix time)",
                () -> {
                    Instant t = lastHealthy;
                    return t == null ? OptionalDouble.empty() : OptionalDouble.of(t.toEpochMilli() / 1000.0);
                });

        Runnable probe = () -> {
            ProbeReport r = node.probe.run(DEPTH);
            Instant at = clock.instant();
            duration.record(r.elapsed().toNanos(), TimeUnit.NANOSECONDS);
            results.get(r.healthy() ? "healthy" : r.notRunning() ? "not_mounted" : "failed")
                    .increment();
            if (r.healthy()) {
                lastHealthy = at;
            }
            latest = new Latest(r, at);
        };
        runtime.everyLocal("storage-probe", PERIOD, probe);
        String where = node.mount.settings().mountPoint() + " from "
                + node.mount.settings().device();
        runtime.status("storage", () -> section(latest, where, clock.instant()));
        runtime.health("storage", () -> {
            Latest l = latest;
            return Health.ok(l == null || l.report().healthy() ? "" : "storage: " + summary(l.report(), where));
        });
    }

    static Map<String, Object> section(Latest l, String where, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("summary", l == null ? "not probed yet (" + where + ")" : summary(l.report(), where));
        m.put("mount", where);
        if (l != null) {
            ProbeReport r = l.report();
            m.put("healthy", r.healthy());
            m.put("mounted", !r.notRunning());
            m.put("failed_step", r.failedStep());
            m.put("message", r.message());
            m.put("depth", r.depth());
            m.put("probed_at", l.at().toString());
            m.put("probe_age_s", Math.max(0, Duration.between(l.at(), now).toMillis()) / 1000.0);
            m.put("elapsed_ms", r.elapsed().toNanos() / 1e6);
        }
        return m;
    }

    static String summary(ProbeReport r, String where) {
        if (r.healthy()) {
            return "healthy (" + where + ")";
        }
        if (r.notRunning()) {
            return "not mounted (" + where + ")";
        }
        return "FAILED at " + r.failedStep() + ": " + r.message();
    }
}
