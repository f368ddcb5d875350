package org.pbxagent.agent.load;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.ami.AsteriskState;
import org.pbxagent.agent.ami.AsteriskWatch;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.AgentModule;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.Health;
import org.pbxagent.agent.module.OptionalGauge;

/**
 * Puts the AMI watch and the load monitor into the daemon: {@code ami.*} and {@code load.*} configuration, start and
 * stop, the /status sections {@code ami} and {@code load}, a /health note and metrics. Other modules (the balancer)
 * receive every {@link NodeLoad} through {@link #addListener}, before or after this module installs.
 */
public final class LoadModule implements AgentModule {

    private final List<NodeLoadListener> listeners = new ArrayList<>();
    private AsteriskWatch watch;
    private LoadMonitor monitor;

    @Override
    public String name() {
        return "ami-load";
    }

    /** Adds a consumer of every published NodeLoad (called from the one sampling thread; must not block). */
    public synchronized void addListener(NodeLoadListener listener) {
        listeners.add(listener);
        if (monitor != null) {
            monitor.addListener(listener);
        }
    }

    /** The monitor once installed; empty when {@code ami.enabled} is false. */
    public synchronized Optional<LoadMonitor> monitor() {
        return Optional.ofNullable(monitor);
    }

    public synchronized Optional<AsteriskWatch> watch() {
        return Optional.ofNullable(watch);
    }

    @Override
    public synchronized void install(AgentRuntime runtime) {
        if (!runtime.config().has(AmiSettings.class)) {
            // Without the AMI nothing is known of Asterisk: publishing a load would be a guess.
            runtime.status("ami", () -> Map.of("enabled", false));
            return;
        }
        AmiSettings ami = runtime.config().section(AmiSettings.class);
        LoadSettings load = runtime.config().section(LoadSettings.class);
        MeterRegistry meters = runtime.meters();
        AsteriskWatch w = new AsteriskWatch(ami);
        LoadMonitor m = new LoadMonitor(load, w::current, runtime::fastAgiSessionsInFlight);
        w.addListener(m);
        listeners.forEach(m::addListener);
        watch = w;
        monitor = m;

        // Monitor first, so the watch's first availability change finds it running; stopped in reverse order.
        // stop is idempotent on both parts
        runtime.manage(AgentComponent.of("load-monitor", m::start, m::stop));
        runtime.manage(AgentComponent.of("ami-watch", w::start, w::stop));

        runtime.status("ami", () -> amiStatus(ami, w));
        runtime.status("load", m::current);
        runtime.health("asterisk", () -> {
            AsteriskState s = w.current();
            // A note only: Asterisk has its own Pacemaker resource; the agent stays ready and drains instead.
            return Health.ok(s.available() ? "" : "asterisk unavailable: " + s.reason());
        });

        Gauge.builder("pbxagent_asterisk_available", w, x -> x.current().available() ? 1 : 0)
                .description("1 while the AMI watch's last session found Asterisk booted and answering")
                .register(meters);
        Gauge.builder("pbxagent_asterisk_active_calls", w, x -> x.current().activeCalls())
                .description("active calls on this node's Asterisk")
                .register(meters);
        Gauge.builder("pbxagent_asterisk_active_channels", w, x -> x.current().activeChannels())
                .description("active channels on this node's Asterisk")
                .register(meters);
        FunctionCounter.builder("pbxagent_ami_events_received", w, AsteriskWatch::eventsReceived)
                .description("AMI events read")
                .register(meters);
        FunctionCounter.builder("pbxagent_ami_logins", w, AsteriskWatch::logins)
                .description("successful AMI logins: one per short session")
                .register(meters);
        FunctionCounter.builder("pbxagent_ami_logged_in_seconds", w, x -> x.loggedInMicros() / 1e6)
                .description("time logged in to Asterisk's manager (Asterisk pays per event while any session is)")
                .register(meters);
        FunctionCounter.builder("pbxagent_ami_skipped_traffic", w, AsteriskWatch::skippedTraffic)
                .description("malformed or unexpected AMI lines and messages skipped")
                .register(meters);
        OptionalGauge.register(
                meters,
                "pbxagent_ami_reply_round_trip_seconds",
                "round trip of the last AMI count command Asterisk answered",
                () -> {
                    long rtt = w.lastReplyRoundTripMicros();
                    return rtt < 0 ? OptionalDouble.empty() : OptionalDouble.of(rtt / 1e6);
                });
        Gauge.builder("pbxagent_load_score", m, x -> x.current().score())
                .description("published load score 0..100 (100 = full or Asterisk unavailable)")
                .register(meters);
        Gauge.builder("pbxagent_load_cpu_busy_ratio", m, x -> x.current().cpuBusy())
                .description("CPU busy fraction between the last two samples")
                .register(meters);
        Gauge.builder("pbxagent_load_memory_used_ratio", m, x -> x.current().memoryUsed())
                .description("1 - MemAvailable/MemTotal")
                .register(meters);
    }

    private static Map<String, Object> amiStatus(AmiSettings ami, AsteriskWatch w) {
        AsteriskState s = w.current();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", true);
        m.put("manager", ami.host() + ":" + ami.port());
        m.put("username", ami.username());
        m.put("available", s.available());
        m.put("reason", s.reason());
        m.put("since", s.since());
        m.put("active_calls", s.activeCalls());
        m.put("active_channels", s.activeChannels());
        m.put("sessions", w.sessions());
        m.put("logins", w.logins());
        m.put("logged_in_ms", w.loggedInMicros() / 1000.0);
        m.put("events_received", w.eventsReceived());
        m.put("skipped_traffic", w.skippedTraffic());
        long rtt = w.lastReplyRoundTripMicros();
        m.put("last_reply_ms", rtt < 0 ? null : rtt / 1000.0);
        return m;
    }
}
