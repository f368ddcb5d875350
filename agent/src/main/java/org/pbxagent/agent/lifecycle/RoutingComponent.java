package org.pbxagent.agent.lifecycle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.pbxagent.agent.config.RoutingSettings;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.routing.RoutingService;
import org.pbxagent.fastagi.routing.RoutingStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing service inside the daemon. When neither the DB nor the disk snapshot has data at start (first start
 * of a node during a DB outage), the daemon still comes up: calls get {@code ROUTE_ACTION=CONGESTION} with reason
 * {@code no-routing-data}, /health says why, and the start is retried until data arrives.
 */
public final class RoutingComponent implements AgentComponent {
    private static final Logger log = LoggerFactory.getLogger(RoutingComponent.class);
    /** The scripts the routing service serves; FastAGI is given stable delegates for these names. */
    public static final List<String> SCRIPTS = List.of("route", "outbound", "next");
    private static final RouteDecision NO_DATA = RouteDecision.builder()
            .set("ROUTE_REASON", "no-routing-data")
            .set("ROUTE_DEGRADED", "1")
            .set("ROUTE_ACTION", "CONGESTION")
            .build();

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

    @Override
    public synchronized void start() throws Exception {
        Path dir = settings.snapshotFile().toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (!tryStart()) {
            retry = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "routing-start-retry");
                t.setDaemon(true);
                return t;
            });
            scheduleRetry(Math.max(1000, settings.refresh().toMillis()));
        }
    }

    /** Retries with a doubling delay (up to 30 s): a DB without data stays so for a while, logs need not say it each second. */
    private void scheduleRetry(long delayMs) {
        retry.schedule(() -> {
            if (!tryStart()) {
                scheduleRetry(Math.min(delayMs * 2, 30_000));
            } else {
                retry.shutdown();
            }
        }, delayMs, TimeUnit.MILLISECONDS);
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
            if (!String.valueOf(e.getMessage()).equals(startError)) {
                log.error("routing has no data yet, answering CONGESTION until it has: {}", e.getMessage());
            }
            startError = e.getMessage();
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

    /** Stable scripts for the FastAGI server; they follow the routing service once it has data. */
    public Map<String, DecisionScript> scripts() {
        Map<String, DecisionScript> m = new LinkedHashMap<>();
        for (String name : SCRIPTS) {
            m.put(name, request -> {
                DecisionScript s = live.get(name);
                return s == null ? NO_DATA : s.decide(request);
            });
        }
        return m;
    }

    /** Null until routing has data. */
    public RoutingStatus status() {
        RoutingService s = service;
        return s == null ? null : s.status();
    }

    public Health health() {
        RoutingStatus st = status();
        if (st == null) {
            return Health.failed("no routing data (" + startError + ")");
        }
        if (st.degraded()) {
            return Health.ok("degraded: DB unreachable, serving snapshot version " + st.snapshotVersion()
                    + " from " + st.loadedAt());
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
        m.put("snapshot_age_s", st.snapshotAge() == null ? null : st.snapshotAge().toMillis() / 1000.0);
        m.put("snapshot_file", settings.snapshotFile().toString());
        m.put("problems", st.problems());
        return m;
    }

    @Override
    public synchronized void close() {
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
