package org.pbxagent.agent.balancer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.load.NodeLoad;
import org.pbxagent.agent.load.NodeLoadListener;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.AgentModule;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.OptionalGauge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load reporting to every Kamailio, drain/undrain, and the HAProxy agent-check port, plugged into the daemon.
 * Installs the {@link DrainController} as the daemon's drain switch, so POST /drain, /undrain and the stop
 * sequence's drain reach every Kamailio. Fed by the load monitor through {@code loadFeed}.
 */
public final class BalancerModule implements AgentModule {
    private static final Logger log = LoggerFactory.getLogger(BalancerModule.class);

    private final Consumer<NodeLoadListener> loadFeed;

    /** @param loadFeed subscribes a listener to the node's {@link NodeLoad} samples (the load monitor's addListener) */
    public BalancerModule(Consumer<NodeLoadListener> loadFeed) {
        this.loadFeed = loadFeed;
    }

    @Override
    public String name() {
        return "balancer";
    }

    @Override
    public void install(AgentRuntime runtime) throws Exception {
        AgentConfig config = runtime.config();
        KamailioSettings kamailio = config.has(KamailioSettings.class) ? config.section(KamailioSettings.class) : null;
        HaproxySettings haproxy = config.has(HaproxySettings.class) ? config.section(HaproxySettings.class) : null;
        DrainSettings drainSettings = config.has(DrainSettings.class)
                ? config.section(DrainSettings.class)
                : new DrainSettings(true, false, Duration.ofSeconds(2));
        boolean agentCheck = haproxy != null && haproxy.enabled();
        if (kamailio != null && config.has(org.pbxagent.agent.load.LoadSettings.class)) {
            long interval =
                    config.section(org.pbxagent.agent.load.LoadSettings.class).intervalMs();
            long ttl = kamailio.target().scoreTtl().toMillis();
            // One late sample must not let the score expire and send this node's share to dispatcher order.
            if (ttl < 2 * interval) {
                throw new IllegalArgumentException("kamailio.score-ttl-ms (" + ttl + ") must be at least twice "
                        + "load.interval-ms (" + interval + ")");
            }
        }
        if (kamailio == null && !agentCheck) {
            log.info("balancer: no kamailio.rpc-urls and haproxy off; no load reporting");
            return;
        }
        // Without Kamailios (agent-check only) the reporter has no links: it only keeps the latest sample.
        KamailioSettings k = kamailio != null
                ? kamailio
                : new KamailioSettings(
                        List.of(),
                        new BalancerTarget(1, "sip:localhost", "pbxload", "unused", Duration.ofSeconds(3)),
                        null,
                        Duration.ofMillis(500),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(1));
        KamailioRpc rpc = new KamailioRpc(
                k.sourceAddress() == null ? null : InetAddress.getByName(k.sourceAddress()),
                k.connectTimeout(),
                k.requestTimeout());
        BalancerTarget target = k.target();
        LoadReporter reporter =
                new LoadReporter(k.rpcUrls(), target, rpc, k.resendInterval(), k.retryInterval(), runtime.clock());
        DrainController drain = new DrainController(
                reporter,
                drainSettings.waitLimit(),
                drainSettings.automatic(),
                drainSettings.forceAutomatic(),
                runtime.clock());
        runtime.drainSwitch(drain);
        loadFeed.accept(reporter);
        loadFeed.accept(drain);

        runtime.manage(new AgentComponent() {
            private AgentCheckServer server;

            @Override
            public String name() {
                return "balancer";
            }

            @Override
            public void start() throws Exception {
                reporter.start();
                if (agentCheck) {
                    server = new AgentCheckServer(
                            InetAddress.getByName(haproxy.bind()), haproxy.port(), drain::agentCheckLine);
                    server.start();
                }
            }

            @Override
            public void close() {
                if (server != null) {
                    server.close();
                }
                drain.close();
                reporter.close();
                rpc.close();
            }
        });

        runtime.status("balancer", () -> {
            Map<String, Object> m = new LinkedHashMap<>();
            NodeLoad l = reporter.latest();
            m.put("score", l == null ? null : l.score());
            m.put("agent_check", drain.agentCheckLine());
            m.put("kamailio", reporter.status());
            return m;
        });

        OptionalGauge lastSuccess = OptionalGauge.family(
                runtime.meters(),
                "pbxagent_kamailio_last_push_success_timestamp_seconds",
                "when this Kamailio last answered a push ok (Unix time)");
        for (KamailioLink link : reporter.links()) {
            String url = link.url().toString();
            FunctionCounter.builder("pbxagent_kamailio_pushes", link, KamailioLink::pushes)
                    .description("JSON-RPC pushes to this Kamailio")
                    .tag("kamailio", url)
                    .register(runtime.meters());
            FunctionCounter.builder("pbxagent_kamailio_push_failures", link, KamailioLink::failures)
                    .description("JSON-RPC pushes to this Kamailio that failed")
                    .tag("kamailio", url)
                    .register(runtime.meters());
            Gauge.builder("pbxagent_kamailio_reachable", link, x -> x.unreachable() ? 0 : 1)
                    .description("1 when this Kamailio answered the last push")
                    .tag("kamailio", url)
                    .register(runtime.meters());
            Timer pushTime = Timer.builder("pbxagent_kamailio_push_duration")
                    .description("JSON-RPC push round trip to this Kamailio, answered or not")
                    .tag("kamailio", url)
                    .serviceLevelObjectives(
                            Duration.ofMillis(1),
                            Duration.ofMillis(5),
                            Duration.ofMillis(10),
                            Duration.ofMillis(25),
                            Duration.ofMillis(50),
                            Duration.ofMillis(100),
                            Duration.ofMillis(250),
                            Duration.ofMillis(500),
                            Duration.ofSeconds(1))
                    .register(runtime.meters());
            link.observePushes(n -> pushTime.record(n, TimeUnit.NANOSECONDS));
            lastSuccess.add(
                    () -> {
                        java.time.Instant t = link.lastSuccessAt();
                        return t == null ? OptionalDouble.empty() : OptionalDouble.of(t.toEpochMilli() / 1000.0);
                    },
                    "kamailio",
                    url);
            for (String state : List.of("active", "drained", "unconfirmed", "none")) {
                Gauge.builder("pbxagent_kamailio_dispatcher_state", link, x -> state.equals(x.confirmedState()) ? 1 : 0)
                        .description("1 for the dispatcher state of this node that this Kamailio confirmed "
                                + "(active, drained), unconfirmed while a push is pending or failed")
                        .tag("kamailio", url)
                        .tag("state", state)
                        .register(runtime.meters());
            }
        }
        log.info(
                "balancer: reporting to {} Kamailio(s) as {}{}",
                reporter.links().size(),
                target.nodeUri(),
                agentCheck ? ", HAProxy agent-check on " + haproxy.bind() + ":" + haproxy.port() : "");
    }
}
