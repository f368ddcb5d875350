package org.pbxagent.agent.module;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.pbxagent.agent.config.AgentConfig;

/**
 * What the daemon offers to an {@link AgentModule} while it installs itself: the validated configuration, the
 * shared DB pool, the metrics registry, and the places to hook into start/stop, /status, /health, drain and
 * periodic work.
 */
public interface AgentRuntime {

    AgentConfig config();

    /** The shared DB pool (routing data, cluster scheduler); may be unreachable at any time. */
    DataSource dataSource();

    MeterRegistry meters();

    Clock clock();

    /** Starts after the core (routing, FastAGI, HTTP, scheduler), in registration order; closed in reverse order. */
    void manage(AgentComponent component);

    /** Adds a section to GET /status, evaluated per request from memory. */
    void status(String section, java.util.function.Supplier<?> supplier);

    /** Adds a readiness check to GET /health. */
    void health(String name, HealthCheck check);

    /**
     * Replaces the default drain switch (which only records state). The stop sequence calls
     * {@code drain("agent stopping", true)} on it before it waits for FastAGI sessions in flight.
     */
    void drainSwitch(DrainSwitch control);

    DrainSwitch drainSwitch();

    /** Runs {@code task} every {@code period} on this node's local scheduler (in-memory, not shared). */
    void everyLocal(String name, Duration period, Runnable task);

    /** The FastAGI listener's port once started (empty before). */
    Optional<Integer> fastAgiPort();

    /** FastAGI sessions open now, as the listener counts them; 0 before it starts. Cheap: read at every sample. */
    int fastAgiSessionsInFlight();
}
