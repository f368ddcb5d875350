package org.pbxagent.agent.daemon;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.db.AgentDatabase;
import org.pbxagent.agent.document.RoutingExamples;
import org.pbxagent.agent.http.AdminHttpServer;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.AgentModule;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.AgentState;
import org.pbxagent.agent.module.CallListener;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.Health;
import org.pbxagent.agent.module.HealthCheck;
import org.pbxagent.agent.module.StatusBoard;
import org.pbxagent.agent.scheduler.ClusterScheduler;
import org.pbxagent.agent.scheduler.LocalScheduler;
import org.pbxagent.agent.scheduler.RoutingConsistencyTask;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent. Starts, in order: DB pool (and embedded MariaDB), schema migrations, routing, FastAGI, HTTP,
 * schedulers, then the installed modules' components. Stops in the order a PBX needs: drain (no new calls from the
 * balancers), sessions in flight finish up to {@code fastagi.shutdown-grace-ms} (calls already up may still ask, so
 * FastAGI keeps answering until then), then
 * everything else in reverse start order.
 */
public final class AgentDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);

    /** Start options that are not configuration (the demo loads sample data; tests set the clock). */
    public record Options(boolean loadSampleData, Clock clock) {
        public static Options defaults() {
            return new Options(false, Clock.systemUTC());
        }
    }

    private final AgentConfig config;
    private final Options options;
    private final StatusBoard board;
    private final PrometheusMeterRegistry meters;
    private final List<AgentComponent> started = new ArrayList<>();
    private final List<AgentComponent> moduleComponents = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Function<Map<String, DecisionScript>, CallListener> callListenerFactory;
    private volatile DrainSwitch drain;
    private AgentDatabase database;
    private RoutingComponent routing;
    private CallListener fastAgi;
    private AdminHttpServer http;
    private LocalScheduler localScheduler;
    private RoutingConsistencyTask consistency;
    private boolean stopping;
    private volatile ClusterScheduler clusterScheduler;
    private volatile String clusterStartError;

    private AgentDaemon(
            AgentConfig config,
            Options options,
            Function<Map<String, DecisionScript>, CallListener> callListenerFactory) {
        this.config = config;
        this.options = options;
        this.callListenerFactory = callListenerFactory;
        this.board = new StatusBoard(config.node().id(), version(), options.clock());
        this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.drain = new LocalDrainSwitch(options.clock());
    }

    /**
     * Builds and starts the whole daemon; on a failure everything already started is stopped again and the
     * exception says which part failed.
     */
    public static AgentDaemon start(
            AgentConfig config,
            List<AgentModule> modules,
            Options options,
            Function<Map<String, DecisionScript>, CallListener> callListenerFactory)
            throws Exception {
        AgentDaemon d = new AgentDaemon(config, options, callListenerFactory);
        try {
            d.startAll(modules);
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
        return d;
    }

    private void startAll(List<AgentModule> modules) throws Exception {
        Clock clock = options.clock();
        DaemonMetrics.jvm(meters);
        DaemonMetrics.buildInfo(meters, version());
        board.section("drain", () -> drain.state());
        DaemonMetrics.node(meters, () -> drain, board);

        database = AgentDatabase.open(config.db(), meters);
        started.add(AgentComponent.of("db", () -> {}, database::close));
        migrate();

        routing = new RoutingComponent(database.dataSource(), config.routing(), clock);
        routing.start();
        started.add(routing);
        board.section("routing", routing::statusSection);
        board.health("routing", routing::health);
        DaemonMetrics.routing(meters, routing);

        if (callListenerFactory != null) {
            CallListener l = callListenerFactory.apply(DaemonMetrics.instrument(meters, routing.scripts()));
            if (l instanceof FastAgiListener f) {
                f.registerDeferred(org.pbxagent.fastagi.routing.FeatureCodes.NAME, routing.featureCodes());
            }
            startComponent(l);
            fastAgi = l;
            board.section("fastagi", this::fastAgiSection);
            board.health("fastagi", () -> Health.ok(""));
            DaemonMetrics.fastAgi(meters, l);
        } else {
            board.health("fastagi", () -> Health.failed("no FastAGI listener in this build"));
        }

        if (config.http().enabled()) {
            http = new AdminHttpServer(config.http(), board, meters, () -> drain);
            startComponent(http);
        }

        AgentRuntime runtime = new DaemonRuntime();
        localScheduler = new LocalScheduler(config.scheduler().threads());
        List<ClusterScheduler> cluster = new ArrayList<>();
        if (config.scheduler().enabled()) {
            consistency = new RoutingConsistencyTask(
                    database.dataSource(),
                    config.scheduler().consistencyCheckInterval(),
                    config.node().id());
            board.section("consistency", consistency::statusSection);
            DaemonMetrics.consistency(meters, consistency);
            if (config.scheduler().clusterEnabled()) {
                ClusterScheduler cs = new ClusterScheduler(
                        database.dataSource(),
                        config.node().id(),
                        config.scheduler().clusterCheckin(),
                        config.scheduler().misfireThreshold(),
                        config.scheduler().threads(),
                        (task, when, outcome, detail) -> DaemonMetrics.clusterTaskRun(meters, task, outcome));
                cs.add(consistency);
                cluster.add(cs);
            }
            Duration refresh = config.scheduler().consistencyCheckInterval().dividedBy(4);
            localScheduler.every(
                    "consistency-result",
                    refresh.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : refresh,
                    consistency::refreshFromRunRecords);
        }

        for (AgentModule m : modules) {
            try {
                m.install(runtime);
            } catch (Exception e) {
                throw new IllegalStateException("module " + m.name() + " failed to install: " + e.getMessage(), e);
            }
        }
        // Always: modules may have registered local work, whatever scheduler.enabled says about the agent's own.
        startComponent(localScheduler);
        if (config.scheduler().enabled()) {
            for (ClusterScheduler cs : cluster) {
                clusterScheduler = cs;
                board.health(
                        "cluster-scheduler",
                        () -> cs.isRunning()
                                ? Health.ok("")
                                : Health.ok("not running (" + clusterStartError + "); retried every minute"));
                if (!tryStartCluster()) {
                    // Cluster work is not worth a dead node: the other nodes do it, this one joins when it can.
                    localScheduler.every("cluster-scheduler-start", Duration.ofMinutes(1), this::tryStartCluster);
                }
            }
        }
        for (AgentComponent c : moduleComponents) {
            startComponent(c);
        }
        board.state(AgentState.RUNNING);
        log.info(
                "pbx-agent {} running as node {}{}{}",
                version(),
                config.node().id(),
                fastAgi != null ? ", FastAGI on " + config.fastagi().bind() + ":" + fastAgi.port() : "",
                http != null ? ", HTTP on " + config.http().bind() + ":" + http.port() : "");
    }

    /** Starts the cluster scheduler unless it runs; false while the shared DB refuses it. */
    private synchronized boolean tryStartCluster() {
        ClusterScheduler cs = clusterScheduler;
        if (cs == null || cs.isRunning() || stopping) {
            return true;
        }
        try {
            cs.start();
            if (clusterStartError != null) {
                log.info("cluster scheduler started after all; this node takes part in cluster work again");
            }
            clusterStartError = null;
            return true;
        } catch (Exception e) {
            cs.close();
            if (clusterStartError == null) {
                log.error(
                        "cluster scheduler not started ({}); cluster work runs on the other nodes, retrying "
                                + "every minute",
                        e.getMessage());
            }
            clusterStartError = String.valueOf(e.getMessage());
            return false;
        }
    }

    private void migrate() {
        try {
            RoutingSchema.migrate(database.dataSource());
            if (options.loadSampleData()) {
                RoutingExamples.load(database.dataSource()).forEach(log::info);
            } else if (database.isEmbedded() && noTenants()) {
                log.warn("the embedded MariaDB holds no routing data, so calls get CONGESTION/no-routing-data: "
                        + "load a tenant with 'pbx-agent routing import etc/routing/small-office.yaml', or start "
                        + "with 'pbx-agent run --sample-data' for the example documents of etc/routing; set db.embedded.data-dir to keep "
                        + "them between starts");
            }
        } catch (java.sql.SQLException | RuntimeException e) {
            // A DB outage at start must not keep the node from serving its snapshot.
            log.warn("routing schema not checked ({}); serving what routing can load", e.getMessage());
        }
    }

    private boolean noTenants() {
        try (java.sql.Connection c = database.dataSource().getConnection();
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM tenant")) {
            return rs.next() && rs.getLong(1) == 0;
        } catch (java.sql.SQLException e) {
            return false; // the routing start reports what is wrong with the DB
        }
    }

    private Map<String, Object> fastAgiSection() {
        CallListener l = fastAgi;
        Map<String, Object> m = AdminHttpServer.fields(
                "bind",
                config.fastagi().bind(),
                "port",
                l.port(),
                "in_flight",
                l.sessionsInFlight(),
                "served",
                l.sessionsServed(),
                "refused",
                l.sessionsRefused(),
                "max_sessions",
                config.fastagi().maxSessions());
        if (l instanceof FastAgiListener f) {
            m.putAll(new java.util.TreeMap<>(f.details()));
        }
        return m;
    }

    private void startComponent(AgentComponent c) throws Exception {
        try {
            c.start();
        } catch (Exception e) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the start failure is what the operator needs
            }
            throw new IllegalStateException(c.name() + " did not start: " + explain(c.name(), e), e);
        }
        started.add(c);
    }

    /** A taken port is the common start failure; say which keys move it. */
    private String explain(String component, Exception e) {
        Throwable t = e;
        while (t != null && !(t instanceof java.net.BindException)) {
            t = t.getCause();
        }
        if (t == null) {
            return e.getMessage();
        }
        String where = switch (component) {
            case "http" -> config.http().bind() + ":" + config.http().port() + " (change http.port or http.bind)";
            case "fastagi" ->
                config.fastagi().bind() + ":" + config.fastagi().port() + " (change fastagi.port or fastagi.bind)";
            default -> "its address";
        };
        return "cannot listen on " + where + ": " + t.getMessage();
    }

    public int fastAgiPort() {
        return fastAgi == null ? -1 : fastAgi.port();
    }

    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public StatusBoard board() {
        return board;
    }

    public DrainSwitch drainSwitch() {
        return drain;
    }

    public MeterRegistry meters() {
        return meters;
    }

    public String jdbcUrl() {
        return database.jdbcUrl();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * The graceful stop: drain, stop accepting FastAGI sessions, let those in flight finish (up to
     * fastagi.shutdown-grace-ms), then stop everything else in reverse order. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        boolean wasRunning = board.state() == AgentState.RUNNING;
        board.state(AgentState.STOPPING);
        try {
            if (wasRunning) {
                DrainState s = drain.drain("agent stopping", true);
                log.info("stopping: drained ({})", s.reason());
            }
        } catch (RuntimeException e) {
            log.warn("stopping: drain failed ({}); going on with the stop", e.getMessage());
        }
        if (fastAgi != null) {
            Duration grace = config.fastagi().shutdownGrace();
            int inFlight = fastAgi.sessionsInFlight();
            if (inFlight > 0) {
                log.info(
                        "stopping: waiting up to {} ms for {} FastAGI session(s) in flight",
                        grace.toMillis(),
                        inFlight);
            }
            try {
                if (!fastAgi.awaitIdle(grace)) {
                    log.warn(
                            "stopping: {} FastAGI session(s) still in flight after {} ms; closing them",
                            fastAgi.sessionsInFlight(),
                            grace.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (clusterScheduler != null) {
                clusterScheduler.close();
            }
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            AgentComponent c = started.get(i);
            try {
                c.close();
            } catch (Exception e) {
                log.warn("stopping {}: {}", c.name(), e.getMessage());
            }
        }
        if (drain instanceof AutoCloseable ac && !started.contains(drain)) {
            try {
                ac.close();
            } catch (Exception e) {
                log.warn("stopping drain switch: {}", e.getMessage());
            }
        }
        meters.close();
        board.state(AgentState.STOPPED);
        log.info("pbx-agent stopped");
        stopped.countDown();
    }

    /** This build's version, from the jar manifest; "dev" when run from classes. */
    public static String version() {
        String v = AgentDaemon.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** What modules see. */
    private final class DaemonRuntime implements AgentRuntime {
        @Override
        public AgentConfig config() {
            return config;
        }

        @Override
        public DataSource dataSource() {
            return database.dataSource();
        }

        @Override
        public MeterRegistry meters() {
            return meters;
        }

        @Override
        public Clock clock() {
            return options.clock();
        }

        @Override
        public void manage(AgentComponent component) {
            moduleComponents.add(component);
        }

        @Override
        public void status(String section, Supplier<?> supplier) {
            board.section(section, supplier);
        }

        @Override
        public void health(String name, HealthCheck check) {
            board.health(name, check);
        }

        @Override
        public void drainSwitch(DrainSwitch control) {
            drain = control;
        }

        @Override
        public DrainSwitch drainSwitch() {
            return drain;
        }

        @Override
        public void everyLocal(String name, Duration period, Runnable task) {
            localScheduler.every(name, period, task);
        }

        @Override
        public Optional<Integer> fastAgiPort() {
            return fastAgi == null ? Optional.empty() : Optional.of(fastAgi.port());
        }

        @Override
        public int fastAgiSessionsInFlight() {
            CallListener l = fastAgi;
            return l == null ? 0 : l.sessionsInFlight();
        }
    }
}
