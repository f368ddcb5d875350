package org.pbxagent.agent.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.pbxagent.agent.config.RoutingSettings;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.Health;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.DeferredScript;
import org.pbxagent.fastagi.routing.FeatureCodes;
import org.pbxagent.fastagi.routing.RoutingService;
import org.pbxagent.fastagi.routing.RoutingStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing service inside the daemon. When neither the DB nor the disk snapshot has data at start (first start
 * of a node during a DB outage), the daemon still comes up: calls get {@link RoutingService#NO_ROUTING_DATA}
 * (congestion, reason {@code no-routing-data}), /health says why, and the start is retried until data arrives: the
 * version row is polled every {@code routing.refresh-ms} (one primary-key read) and the data re-read as soon as it
 * changes, so data an operator loads is served within the refresh interval; a full re-read also runs every 30 s in
 * case the data changed without the version (a restored dump).
 */
public final class RoutingComponent implements AgentComponent {
    private static final Logger log = LoggerFactory.getLogger(RoutingComponent.class);

    private final DataSource dataSource;
    private final RoutingSettings settings;
    private final Clock clock;
    private volatile RoutingService service;
    private volatile Map<String, DecisionScript> live = Map.of();
    private volatile String startError;
    private ScheduledExecutorService retry;

    public RoutingComponent(DataSource dataSource, RoutingSettings settings, Clock clock) {
        this.dataSource = dataSource;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "routing";
    }

    @SuppressWarnings(
            "FutureReturnValueIgnored") // retryTick cannot throw (tryStart logs its failures); shutdown ends it
    @Override
    public synchronized void start() throws Exception {
        Path dir = settings.snapshotFile().toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        lastTry = System.nanoTime();
        triedVersion = currentVersion();
        if (!tryStart()) {
            retry = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "routing-start-retry");
                t.setDaemon(true);
                return t;
            });
            long ms = settings.refresh().toMillis();
            retry.scheduleWithFixedDelay(this::retryTick, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    private static final long FULL_RETRY_NANOS = 30_000_000_000L;
    private final RoutingDataReaderHolder versions = new RoutingDataReaderHolder();
    private long triedVersion = Long.MIN_VALUE;
    private long lastTry;

    /** One tick of the retry: re-read the data when its version moved (or every 30 s); stop once it loaded. */
    private void retryTick() {
        long v = currentVersion();
        boolean due = System.nanoTime() - lastTry >= FULL_RETRY_NANOS;
        if (v == Long.MIN_VALUE && !due) {
            return; // DB unreachable: nothing new to read (the 30 s retry still tries the disk snapshot)
        }
        if (v == triedVersion && !due) {
            return;
        }
        triedVersion = v;
        lastTry = System.nanoTime();
        if (tryStart()) {
            retry.shutdown();
        }
    }

    /** routing_version, or Long.MIN_VALUE when it cannot be read (DB down, schema not there yet). */
    private long currentVersion() {
        try {
            return versions.get(dataSource).version();
        } catch (java.sql.SQLException | RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }

    /** One reader for the version polls, made on first use. */
    private static final class RoutingDataReaderHolder {
        private org.pbxagent.fastagi.data.RoutingDataReader reader;

        synchronized org.pbxagent.fastagi.data.RoutingDataReader get(DataSource ds) {
            if (reader == null) {
                reader = new org.pbxagent.fastagi.data.RoutingDataReader(ds);
            }
            return reader;
        }
    }

    private synchronized boolean tryStart() {
        if (service != null) {
            return true;
        }
        RoutingService s = new RoutingService(dataSource, settings.snapshotFile(), settings.refresh(), clock);
        try {
            s.start();
        } catch (RuntimeException e) {
            s.close();
            String why = withLoadHint(String.valueOf(e.getMessage()));
            if (!why.equals(startError)) {
                log.error("routing has no data yet, answering CONGESTION until it has: {}", why);
            }
            startError = why;
            return false;
        }
        live = s.scripts();
        service = s;
        if (startError != null) {
            log.info("routing data loaded after all; calls are routed again");
        }
        startError = null;
        return true;
    }

    /** How an operator loads data, said where the DB answers but holds no tenant routing can use. */
    static final String LOAD_HINT = "load a tenant with 'pbx-agent routing import etc/routing/small-office.yaml' "
            + "(or a document of your own, etc/routing/schema.json)";

    static String withLoadHint(String message) {
        return message.contains("no usable tenant") ? message + "; " + LOAD_HINT : message;
    }

    /** Stable scripts for the FastAGI server; they follow the routing service once it has data. */
    public Map<String, DecisionScript> scripts() {
        Map<String, DecisionScript> m = new LinkedHashMap<>();
        // FastAGI is given stable delegates for the routing service's script names, live before it has data.
        for (String name : RoutingService.SCRIPTS) {
            m.put(name, request -> {
                DecisionScript s = live.get(name);
                return s == null ? RoutingService.NO_ROUTING_DATA : s.decide(request);
            });
        }
        return m;
    }

    /** Bound of a feature code's DB write: well inside FastAGI's reply timeout, so the caller always hears why. */
    private static final Duration FEATURE_WRITE_TIMEOUT = Duration.ofSeconds(2);

    private FeatureCodes featureCodes;

    /** The feature code script, stable like {@link #scripts()}: it follows the routing service once it has data. */
    public synchronized DeferredScript featureCodes() {
        if (featureCodes == null) {
            featureCodes = new FeatureCodes(
                    dataSource,
                    () -> {
                        RoutingService s = service;
                        return s == null ? null : s.router();
                    },
                    FEATURE_WRITE_TIMEOUT);
        }
        return featureCodes;
    }

    /** Null until routing has data. */
    public RoutingStatus status() {
        RoutingService s = service;
        return s == null ? null : s.status();
    }

    /** When the DB last answered routing's poll; empty before routing has data or before any answer. */
    public java.util.Optional<java.time.Instant> lastDbSuccess() {
        RoutingService s = service;
        return s == null ? java.util.Optional.empty() : s.lastDbSuccess();
    }

    public Health health() {
        RoutingStatus st = status();
        if (st == null) {
            return Health.failed("no routing data (" + startError + ")");
        }
        if (st.degraded()) {
            return Health.ok("degraded: DB unreachable, serving snapshot version " + st.snapshotVersion() + " from "
                    + st.loadedAt());
        }
        return Health.ok("");
    }

    /** The /status section. */
    public Map<String, Object> statusSection() {
        RoutingStatus st = status();
        Map<String, Object> m = new LinkedHashMap<>();
        if (st == null) {
            m.put("has_data", false);
            m.put("error", startError);
            return m;
        }
        m.put("has_data", true);
        m.put("db_reachable", st.dbReachable());
        m.put("degraded", st.degraded());
        m.put("source", st.source());
        m.put("snapshot_version", st.snapshotVersion());
        m.put("loaded_at", st.loadedAt() == null ? null : st.loadedAt().toString());
        // Not the age since the read (that grows forever on unchanged data): when the DB last confirmed it.
        java.time.Instant ok = lastDbSuccess().orElse(null);
        m.put("db_last_success", ok == null ? null : ok.toString());
        m.put(
                "db_last_success_age_s",
                ok == null
                        ? null
                        : Math.max(0, Duration.between(ok, clock.instant()).toMillis()) / 1000.0);
        m.put("snapshot_file", settings.snapshotFile().toString());
        m.put("problems", st.problems());
        return m;
    }

    @Override
    public synchronized void close() {
        if (featureCodes != null) {
            featureCodes.close();
        }
        if (retry != null) {
            retry.shutdownNow();
        }
        RoutingService s = service;
        if (s != null) {
            s.close();
        }
    }

    Duration refresh() {
        return settings.refresh();
    }
}
