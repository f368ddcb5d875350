package org.pbxagent.fastagi.routing;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteAction;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the routing snapshot that every call reads. A single background thread polls {@code routing_version} (one
 * primary-key read) every refresh interval; only when it changed does it read all routing rows, compile and validate
 * them into a new {@link RoutingSnapshot}, swap it in with one volatile write and save it to the disk snapshot. While
 * the DB cannot be reached, calls keep being answered from the last snapshot with {@code ROUTE_DEGRADED=1}.
 */
public final class RoutingService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoutingService.class);

    /** The scripts served, by the name in the AGI URL ({@code agi://host:port/route?tenant=...}). */
    public static final String ROUTE = "route";

    public static final String OUTBOUND = "outbound";
    public static final String NEXT = "next";
    /** The digits of an IVR menu step. */
    public static final String IVR = "ivr";

    public static final List<String> SCRIPTS = List.of(ROUTE, OUTBOUND, NEXT, IVR);
    /**
     * The answer of every script while there is no routing data at all (neither DB nor disk snapshot at a node's
     * first start): congestion, so the proxy tries another PBX, and degraded, as it is not the DB's answer.
     */
    public static final RouteDecision NO_ROUTING_DATA = RouteDecision.builder()
            .set(RouteVariable.REASON, "no-routing-data")
            .set(RouteVariable.DEGRADED, RouteVariable.DEGRADED_YES)
            .set(RouteVariable.ACTION, RouteAction.CONGESTION.name())
            .build();

    private final RoutingDataReader reader;
    private final SnapshotFile snapshotFile;
    private final Duration refreshInterval;
    private final Clock clock;

    private volatile CallRouter router;
    private volatile boolean dbReachable;
    /** When the DB last answered a poll or a read (null: never); "is the data current" without a growing age. */
    private volatile Instant lastDbSuccess;

    private volatile String source = "none";
    private volatile List<String> problems = List.of();
    private volatile String lastError;
    /** Version last read from the DB and compiled (successfully or not): do not recompile the same broken data. */
    private volatile long attemptedVersion = Long.MIN_VALUE;

    private volatile boolean loadedFromDb;
    /**
     * True when the snapshot served is the DB's current data; false after the DB's data was refused (the previous
     * snapshot is served, so answers say ROUTE_DEGRADED=1 until the DB has usable data again).
     */
    private volatile boolean servingDbData;

    private volatile ScheduledExecutorService refresher;
    private final Object loadLock = new Object();

    /**
     * @param refreshInterval how often {@code routing_version} is polled; 50 ms .. 60 s (500 ms keeps changes
     *                        visible within a second)
     */
    public RoutingService(DataSource ds, Path snapshotFile, Duration refreshInterval, Clock clock) {
        Objects.requireNonNull(ds, "routing DataSource");
        Objects.requireNonNull(snapshotFile, "routing snapshot file");
        Objects.requireNonNull(refreshInterval, "routing refresh interval");
        Objects.requireNonNull(clock, "clock");
        if (refreshInterval.compareTo(Duration.ofMillis(50)) < 0
                || refreshInterval.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException(
                    "routing refresh interval must be 50 ms .. 60 s, got " + refreshInterval);
        }
        this.reader = new RoutingDataReader(ds, clock);
        this.snapshotFile = new SnapshotFile(snapshotFile);
        this.refreshInterval = refreshInterval;
        this.clock = clock;
    }

    /**
     * Loads from the DB, else from the disk snapshot (degraded), then starts the refresh thread.
     *
     * @throws RoutingSnapshotException naming both causes when neither the DB nor the disk snapshot gives data
     */
    @SuppressWarnings("FutureReturnValueIgnored") // refresh() catches and logs its failures; close() ends the executor
    public synchronized void start() {
        if (refresher != null) {
            throw new IllegalStateException("routing service already started");
        }
        try {
            loadFromDb();
        } catch (SQLException | RuntimeException dbError) {
            // Data the DB gave but that was refused says nothing against the DB: it answered.
            if (!(dbError instanceof RoutingSnapshotException)) {
                dbReachable = false;
            }
            lastError = "DB: " + dbError.getMessage();
            if (router == null) {
                try {
                    RoutingData data = snapshotFile.read();
                    RoutingSnapshot snapshot = RoutingCompiler.compile(data);
                    router = new CallRouter(new CallRouter.State(snapshot, true), clock);
                    source = "disk";
                    problems = snapshot.problems();
                    log.warn(
                            "routing DB unreachable ({}); serving disk snapshot version {} read at {} (degraded)",
                            dbError.getMessage(),
                            snapshot.version(),
                            snapshot.readAt());
                    logProblems(snapshot.problems());
                } catch (RoutingSnapshotException diskError) {
                    throw new RoutingSnapshotException(
                            "no routing data: DB failed (" + dbError.getMessage() + ") and " + diskError.getMessage(),
                            diskError);
                }
            } else {
                log.warn("routing data in the DB is unusable ({}); keeping what is loaded", dbError.getMessage());
            }
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "routing-refresh");
            t.setDaemon(true);
            return t;
        });
        long ms = refreshInterval.toMillis();
        refresher.scheduleWithFixedDelay(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** The scripts served over FastAGI, by the names of {@link #SCRIPTS}. */
    public Map<String, DecisionScript> scripts() {
        CallRouter r = router;
        if (r == null) {
            throw new IllegalStateException("routing service not started");
        }
        return Map.of(ROUTE, r::route, OUTBOUND, r::outbound, NEXT, r::next, IVR, r::ivr);
    }

    /** Where a script that outlives one decision finds the router in use (null before routing has data). */
    @FunctionalInterface
    public interface RouterSource {
        CallRouter router();
    }

    /** The router in use, or null before the service started. */
    public CallRouter router() {
        return router;
    }

    public RoutingStatus status() {
        CallRouter r = router;
        List<String> all = new ArrayList<>(problems);
        String err = lastError;
        if (err != null) {
            all.add("last refresh failed: " + err);
        }
        if (r == null) {
            return new RoutingStatus(dbReachable, true, 0, null, null, source, all);
        }
        RoutingSnapshot s = r.state().snapshot();
        Instant loaded = s.readAt();
        return new RoutingStatus(
                dbReachable,
                r.state().degraded(),
                s.version(),
                loaded,
                Duration.between(loaded, clock.instant()),
                source,
                all);
    }

    /** When the DB last answered (a version poll or a data read); empty while it never has. */
    public java.util.Optional<Instant> lastDbSuccess() {
        return java.util.Optional.ofNullable(lastDbSuccess);
    }

    /** The snapshot in use (for tests and the benchmark). */
    public RoutingSnapshot snapshot() {
        CallRouter r = router;
        return r == null ? null : r.state().snapshot();
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
            try {
                if (!refresher.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("routing refresh thread did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ refresh

    private void refresh() {
        try {
            long version = reader.version();
            lastDbSuccess = clock.instant();
            boolean wasUnreachable = !dbReachable;
            if (wasUnreachable) {
                log.info("routing DB reachable again");
            }
            dbReachable = true;
            lastError = null;
            // After an outage the DB may have been restored or replaced: the same version number proves nothing.
            if (wasUnreachable || !loadedFromDb || version != attemptedVersion) {
                loadFromDb();
            } else {
                CallRouter r = router;
                if (r.state().degraded() && servingDbData) {
                    r.update(new CallRouter.State(r.state().snapshot(), false));
                }
            }
        } catch (SQLException | RuntimeException e) {
            if (dbReachable) {
                log.warn("routing DB unreachable, answering from snapshot (degraded): {}", e.getMessage());
            }
            dbReachable = false;
            lastError = "DB: " + e.getMessage();
            CallRouter r = router;
            if (r != null && !r.state().degraded()) {
                r.update(new CallRouter.State(r.state().snapshot(), true));
            }
        }
    }

    /** Reads, compiles and swaps in; one load at a time (start and the refresh thread). */
    private void loadFromDb() throws SQLException {
        synchronized (loadLock) {
            load();
        }
    }

    private void load() throws SQLException {
        RoutingData data = reader.read();
        dbReachable = true;
        lastDbSuccess = clock.instant();
        attemptedVersion = data.version();
        loadedFromDb = true;
        RoutingSnapshot snapshot;
        try {
            snapshot = RoutingCompiler.compile(data);
        } catch (RoutingSnapshotException e) {
            // Unusable as a whole: keep serving the previous snapshot, say so, and mark the answers degraded: they
            // are not what the DB holds.
            servingDbData = false;
            problems = List.of("routing data version " + data.version() + " refused: " + e.getMessage()
                    + " (serving the previous snapshot, degraded)");
            log.error(
                    "routing data version {} refused, keeping the previous snapshot (degraded): {}",
                    data.version(),
                    e.getMessage());
            CallRouter r = router;
            if (r == null) {
                throw e;
            }
            if (!r.state().degraded()) {
                r.update(new CallRouter.State(r.state().snapshot(), true));
            }
            return;
        }
        servingDbData = true;
        CallRouter r = router;
        if (r == null) {
            router = new CallRouter(new CallRouter.State(snapshot, false), clock);
        } else {
            r.update(new CallRouter.State(snapshot, false));
        }
        source = "database";
        if (!snapshot.problems().equals(problems)) {
            logProblems(snapshot.problems());
        }
        problems = snapshot.problems();
        log.info(
                "routing snapshot version {} loaded: {} tenant(s), {} problem(s)",
                snapshot.version(),
                snapshot.tenantNames().size(),
                snapshot.problems().size());
        try {
            snapshotFile.write(data);
        } catch (IOException e) {
            List<String> p = new ArrayList<>(problems);
            p.add("cannot write snapshot file " + snapshotFile.path() + ": " + e.getMessage());
            problems = List.copyOf(p);
            log.error("cannot write routing snapshot file {}: {}", snapshotFile.path(), e.getMessage());
        }
    }

    private static void logProblems(List<String> problems) {
        for (String p : problems) {
            log.warn("routing data problem: {}", p);
        }
    }
}
