package org.pbxagent.agent.daemon;

import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.pbxagent.agent.module.CallListener;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.OptionalGauge;
import org.pbxagent.agent.module.StatusBoard;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;
import org.pbxagent.fastagi.routing.RoutingStatus;

/**
 * The daemon's own metrics, by Prometheus conventions: base units in the names ({@code _seconds}, {@code _bytes},
 * {@code _ratio}), {@code _total} on counters (Micrometer adds it), variants as labels, label values from fixed
 * vocabularies only, and no sample at all where there is nothing to report ({@link OptionalGauge}).
 */
final class DaemonMetrics {
    /** Decision label values are the routing vocabulary; anything else (or past this many series) is "other". */
    static final int MAX_DECISION_SERIES = 200;

    private static final Pattern LABEL_WORD = Pattern.compile("[A-Za-z0-9_-]{1,40}");
    private static final Set<String> SESSION_OUTCOMES = Set.of(
            "refused_overload",
            "refused_not_allowed",
            "closed_unanswered",
            "malformed",
            "timed_out",
            "unknown_script",
            "script_error",
            "peer_closed_early");

    private DaemonMetrics() {}

    /**
     * {@code pbxagent_build_info}: an info metric of its own, because Micrometer's naming drops a gauge's
     * {@code _info} suffix.
     */
    static void buildInfo(MeterRegistry m, String version) {
        String runtime = System.getProperty("java.version", "unknown");
        if (m instanceof io.micrometer.prometheusmetrics.PrometheusMeterRegistry p) {
            io.prometheus.metrics.model.snapshots.InfoSnapshot info =
                    io.prometheus.metrics.model.snapshots.InfoSnapshot.builder()
                            .name("pbxagent_build")
                            .help("always 1; the labels name the agent's version and the Java runtime it runs on")
                            .dataPoint(
                                    io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot.builder()
                                            .labels(io.prometheus.metrics.model.snapshots.Labels.of(
                                                    "version", version, "java_version", runtime))
                                            .build())
                            .build();
            p.getPrometheusRegistry().register(new io.prometheus.metrics.model.registry.MultiCollector() {
                @Override
                public io.prometheus.metrics.model.snapshots.MetricSnapshots collect() {
                    return io.prometheus.metrics.model.snapshots.MetricSnapshots.of(info);
                }

                @Override
                // Deprecated, yet the registry still reads it to refuse a second collector of the same name.
                @SuppressWarnings("deprecation")
                public java.util.List<String> getPrometheusNames() {
                    return java.util.List.of("pbxagent_build");
                }
            });
        }
    }

    static void node(MeterRegistry m, Supplier<DrainSwitch> drain, StatusBoard board) {
        Gauge.builder("pbxagent_drained", () -> drain.get().state().drained() ? 1 : 0)
                .description("1 while this node is drained (no new calls from the balancers)")
                .register(m);
        Gauge.builder("pbxagent_ready", () -> board.healthReport().ready() ? 1 : 0)
                .description("1 while /health reports ready")
                .register(m);
    }

    /**
     * JVM and process figures. Micrometer's ProcessorMetrics is left out: its {@code process_cpu_time_ns_total}
     * is not in base units and {@code system_cpu_count} reads as a summary's count; the same facts follow here.
     */
    static void jvm(MeterRegistry m) {
        // jvm_memory_max_bytes says -1 for a pool without a limit (Metaspace): that pool gets no sample instead.
        m.config()
                .meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(
                        id -> id.getName().equals("jvm.memory.max")));
        new JvmMemoryMetrics().bindTo(m);
        OptionalGauge max = OptionalGauge.family(
                m, "jvm_memory_max_bytes", "the most memory the pool may use; no sample for a pool without a limit");
        for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            max.add(
                    () -> {
                        long v = pool.getUsage() == null ? -1 : pool.getUsage().getMax();
                        return v < 0 ? OptionalDouble.empty() : OptionalDouble.of((double) v);
                    },
                    "area",
                    pool.getType() == java.lang.management.MemoryType.HEAP ? "heap" : "nonheap",
                    "id",
                    pool.getName());
        }
        new JvmGcMetrics().bindTo(m);
        new JvmThreadMetrics().bindTo(m);
        new ClassLoaderMetrics().bindTo(m);
        new UptimeMetrics().bindTo(m);
        new FileDescriptorMetrics().bindTo(m);
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        Gauge.builder("system_cpus", os, x -> x.getAvailableProcessors())
                .description("processors available to the JVM")
                .register(m);
        Gauge.builder("system_load_average_1m", os, x -> x.getSystemLoadAverage())
                .description("the system load average over the last minute")
                .register(m);
        if (os instanceof OperatingSystemMXBean sun) {
            FunctionCounter.builder("process_cpu_seconds", sun, x -> x.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the agent's process")
                    .register(m);
            OptionalGauge.register(
                    m,
                    "process_cpu_usage_ratio",
                    "recent CPU use of the agent's process, 0..1",
                    () -> ratio(sun.getProcessCpuLoad()));
            OptionalGauge.register(
                    m,
                    "system_cpu_usage_ratio",
                    "recent CPU use of the whole machine, 0..1",
                    () -> ratio(sun.getCpuLoad()));
        }
    }

    private static OptionalDouble ratio(double v) {
        return v < 0 || Double.isNaN(v) ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    static void fastAgi(MeterRegistry m, CallListener l) {
        FunctionCounter.builder("pbxagent_fastagi_sessions_served", l, CallListener::sessionsServed)
                .description("FastAGI sessions answered")
                .register(m);
        FunctionCounter.builder("pbxagent_fastagi_sessions_refused", l, CallListener::sessionsRefused)
                .description("FastAGI sessions refused (over fastagi.max-sessions, or peer not in fastagi.allow)")
                .register(m);
        Gauge.builder("pbxagent_fastagi_sessions_in_flight", l, CallListener::sessionsInFlight)
                .description("FastAGI sessions in progress")
                .register(m);
        if (l instanceof FastAgiListener f) {
            for (String outcome : f.details().keySet()) {
                if (!SESSION_OUTCOMES.contains(outcome)) {
                    continue;
                }
                FunctionCounter.builder(
                                "pbxagent_fastagi_sessions_outcome",
                                f,
                                x -> x.details().get(outcome))
                        .tag("outcome", outcome)
                        .description("FastAGI sessions that ended other than answered, by how")
                        .register(m);
            }
            // Replies, not sessions: one session can get several.
            FunctionCounter.builder(
                            "pbxagent_fastagi_error_replies",
                            f,
                            x -> x.details().get("error_replies"))
                    .description("AGI replies from Asterisk other than 200 (510, 511, 520)")
                    .register(m);
        }
    }

    static void routing(MeterRegistry m, RoutingComponent routing) {
        Gauge.builder("pbxagent_routing_has_data", routing, r -> r.status() == null ? 0 : 1)
                .description("1 once routing has data (from the DB or the disk snapshot)")
                .register(m);
        Gauge.builder("pbxagent_routing_db_reachable", routing, r -> {
                    RoutingStatus s = r.status();
                    return s != null && s.dbReachable() ? 1 : 0;
                })
                .description("1 when the last routing DB poll was answered (even if its data was refused)")
                .register(m);
        Gauge.builder("pbxagent_routing_degraded", routing, r -> {
                    RoutingStatus s = r.status();
                    return s == null || s.degraded() ? 1 : 0;
                })
                .description("1 while calls are answered from a snapshot (ROUTE_DEGRADED=1) or without data")
                .register(m);
        OptionalGauge.register(m, "pbxagent_routing_snapshot_version", "routing_version of the data in use", () -> {
            RoutingStatus s = routing.status();
            return s == null ? OptionalDouble.empty() : OptionalDouble.of((double) s.snapshotVersion());
        });
        OptionalGauge.register(
                m,
                "pbxagent_routing_snapshot_read_timestamp_seconds",
                "when the routing data in use was read from the DB (Unix time)",
                () -> {
                    RoutingStatus s = routing.status();
                    return s == null || s.loadedAt() == null ? OptionalDouble.empty() : epochSeconds(s.loadedAt());
                });
        OptionalGauge.register(
                m,
                "pbxagent_routing_db_last_success_timestamp_seconds",
                "when the routing DB last answered a poll (Unix time)",
                () -> routing.lastDbSuccess().map(DaemonMetrics::epochSeconds).orElse(OptionalDouble.empty()));
        OptionalGauge.register(m, "pbxagent_routing_problems", "problems in the loaded routing data", () -> {
            RoutingStatus s = routing.status();
            return s == null
                    ? OptionalDouble.empty()
                    : OptionalDouble.of(s.problems().size());
        });
    }

    static OptionalDouble epochSeconds(Instant t) {
        return OptionalDouble.of(t.toEpochMilli() / 1000.0);
    }

    static void consistency(MeterRegistry m, org.pbxagent.agent.scheduler.RoutingConsistencyTask task) {
        OptionalGauge.register(
                m,
                "pbxagent_routing_consistency_problems",
                "problems found by the latest cluster-wide routing consistency check",
                () -> {
                    int n = task.problemCount();
                    return n < 0 ? OptionalDouble.empty() : OptionalDouble.of(n);
                });
    }

    static void clusterTaskRun(MeterRegistry m, String task, String outcome) {
        Counter.builder("pbxagent_cluster_task_runs")
                .description("runs of cluster-wide tasks, by task and outcome")
                .tag("task", task)
                .tag("outcome", outcome)
                .register(m)
                .increment();
    }

    /**
     * Wraps the routing scripts so every decision is counted by script, action, reason and degraded flag, and
     * timed (the decision itself, in memory; the FastAGI round trip is Asterisk's).
     */
    static Map<String, DecisionScript> instrument(MeterRegistry m, Map<String, DecisionScript> scripts) {
        Map<String, DecisionScript> out = new LinkedHashMap<>();
        Map<String, Counter> counters = new ConcurrentHashMap<>();
        for (Map.Entry<String, DecisionScript> e : scripts.entrySet()) {
            String script = e.getKey();
            DecisionScript inner = e.getValue();
            Timer timer = Timer.builder("pbxagent_route_decision_duration")
                    .description("time to decide a route from the in-memory snapshot, by script")
                    .tag("script", script)
                    .serviceLevelObjectives(
                            Duration.ofNanos(50_000),
                            Duration.ofNanos(100_000),
                            Duration.ofNanos(250_000),
                            Duration.ofNanos(500_000),
                            Duration.ofMillis(1),
                            Duration.ofMillis(5),
                            Duration.ofMillis(25),
                            Duration.ofMillis(100))
                    .register(m);
            out.put(script, request -> {
                long t0 = System.nanoTime();
                RouteDecision d = inner.decide(request);
                timer.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
                decisionCounter(m, counters, script, d).increment();
                return d;
            });
        }
        return out;
    }

    private static Counter decisionCounter(
            MeterRegistry m, Map<String, Counter> counters, String script, RouteDecision d) {
        String action = word(d == null ? null : d.get(RouteVariable.ACTION));
        String reason = word(d == null ? null : d.get(RouteVariable.REASON));
        String degraded =
                d != null && RouteVariable.DEGRADED_YES.equals(d.get(RouteVariable.DEGRADED)) ? "true" : "false";
        String key = script + '\u0000' + action + '\u0000' + reason + '\u0000' + degraded;
        Counter c = counters.get(key);
        if (c != null) {
            return c;
        }
        if (counters.size() >= MAX_DECISION_SERIES) {
            key = script + "\u0000other\u0000other\u0000" + degraded;
            action = "other";
            reason = "other";
        }
        String a = action;
        String r = reason;
        return counters.computeIfAbsent(
                key,
                k -> Counter.builder("pbxagent_route_decisions")
                        .description("route decisions answered over FastAGI, by script, ROUTE_ACTION, ROUTE_REASON and "
                                + "ROUTE_DEGRADED")
                        .tag("script", script)
                        .tag("action", a)
                        .tag("reason", r)
                        .tag("degraded", degraded)
                        .register(m));
    }

    private static String word(String v) {
        if (v == null || v.isEmpty()) {
            return "none";
        }
        return LABEL_WORD.matcher(v).matches() ? v : "other";
    }
}
