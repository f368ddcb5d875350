package org.pbxagent.agent.module;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * What the daemon knows about itself, for /status, /health and the status page. Each part contributes a named
 * section (a supplier evaluated per request, from memory) and optionally a readiness check. A section that throws
 * shows its error instead of breaking the whole status.
 */
public final class StatusBoard {
    private record Section(String name, Supplier<?> supplier) {}

    private record Check(String name, HealthCheck check) {}

    private final List<Section> sections = new CopyOnWriteArrayList<>();
    private final List<Check> checks = new CopyOnWriteArrayList<>();
    private final String nodeId;
    private final String version;
    private final Clock clock;
    private final Instant started;
    private volatile AgentState state = AgentState.STARTING;

    public StatusBoard(String nodeId, String version, Clock clock) {
        this.nodeId = nodeId;
        this.version = version;
        this.clock = clock;
        this.started = clock.instant();
    }

    /** Adds a /status section; the supplier's result is turned into JSON (maps, lists, records, numbers, text). */
    public void section(String name, Supplier<?> supplier) {
        for (Section s : sections) {
            if (s.name.equals(name)) {
                throw new IllegalArgumentException("status section '" + name + "' registered twice");
            }
        }
        sections.add(new Section(name, supplier));
    }

    public void health(String name, HealthCheck check) {
        checks.add(new Check(name, check));
    }

    public void state(AgentState state) {
        this.state = state;
    }

    public AgentState state() {
        return state;
    }

    public String nodeId() {
        return nodeId;
    }

    /** The whole /status document. */
    public Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", nodeId);
        node.put("version", version);
        node.put("state", state.name().toLowerCase(Locale.ROOT));
        node.put("started", started.toString());
        node.put("uptime_s", Duration.between(started, clock.instant()).toSeconds());
        out.put("node", node);
        out.put("health", healthReport().asMap());
        for (Section s : sections) {
            Object value;
            try {
                value = s.supplier.get();
            } catch (RuntimeException e) {
                value = Map.of("error", String.valueOf(e.getMessage()));
            }
            out.put(s.name, value);
        }
        return out;
    }

    /** Readiness: every check passes and the daemon is running. */
    public HealthReport healthReport() {
        List<String> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (state != AgentState.RUNNING) {
            failures.add("agent " + state.name().toLowerCase(Locale.ROOT));
        }
        for (Check c : checks) {
            Health h;
            try {
                h = c.check.check();
            } catch (RuntimeException e) {
                h = Health.failed("check failed: " + e.getMessage());
            }
            if (!h.ok()) {
                failures.add(c.name + ": " + h.reason());
            } else if (!h.reason().isEmpty()) {
                notes.add(c.name + ": " + h.reason());
            }
        }
        return new HealthReport(failures.isEmpty(), failures, notes);
    }

    /** Result of the readiness checks. */
    public record HealthReport(boolean ready, List<String> failures, List<String> notes) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ready", ready);
            m.put("failures", failures);
            m.put("notes", notes);
            return m;
        }
    }
}
