package org.pbxagent.agent.balancer;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pbxagent.agent.load.NodeLoad;
import org.pbxagent.agent.load.NodeLoadListener;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes this PBX out of every Kamailio's dispatcher set ({@code d}) and back ({@code ap}).
 *
 * <p>Two independent reasons hold a drain: the operator's (POST /drain, or a stop), which only {@link #undrain()}
 * lifts, and the automatic one (Asterisk unavailable), which lifts itself when Asterisk is healthy again. The node is
 * drained while either holds, so a recovering Asterisk never undoes an operator drain.
 *
 * <p>A drain that is not forced is refused when it would leave the dispatcher set with no active destination, read
 * from {@code dispatcher.list} of the Kamailios: draining the last PBX turns "slow" into "no service". A refused
 * automatic drain is tried again on later samples, so it goes through once another PBX is active.
 */
public final class DrainController implements DrainSwitch, NodeLoadListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DrainController.class);

    private final LoadReporter reporter;
    private final Duration waitLimit;
    private final boolean automaticEnabled;
    private final boolean forceAutomatic;
    private final Clock clock;
    private final ExecutorService automatic;
    private final AtomicBoolean automaticBusy = new AtomicBoolean();
    private volatile NodeLoad latestLoad;

    // Guarded by this.
    private String operatorReason;
    private String automaticReason;
    private boolean drainedInKamailio;
    private boolean applied;
    private Instant since;
    private String lastRefusal = "";
    private Map<String, String> lastPush = Map.of();

    /**
     * @param waitLimit      how long drain()/undrain() wait for the Kamailios' answers (their request timeout plus
     *                       a margin); a Kamailio that does not answer gets the state on its next full re-send
     * @param automatic      drain on Asterisk failure and undrain when it is back
     * @param forceAutomatic true drains on Asterisk failure even if it leaves the set with no active destination
     */
    public DrainController(
            LoadReporter reporter, Duration waitLimit, boolean automatic, boolean forceAutomatic, Clock clock) {
        this.reporter = reporter;
        this.waitLimit = waitLimit;
        this.automaticEnabled = automatic;
        this.forceAutomatic = forceAutomatic;
        this.clock = clock;
        this.since = clock.instant();
        this.automatic = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "drain-automatic");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public DrainState drain(String reason, boolean force) {
        String why = reason == null || reason.isBlank() ? "operator" : reason.strip();
        if (!force) {
            String refusal = refusal();
            if (refusal != null) {
                synchronized (this) {
                    lastRefusal = "drain (" + why + ") refused: " + refusal;
                }
                log.warn("drain ({}) refused: {}", why, refusal);
                return state();
            }
        }
        synchronized (this) {
            operatorReason = why;
            lastRefusal = "";
        }
        log.info("drain: {}{}", why, force ? " (forced)" : "");
        return apply();
    }

    @Override
    public DrainState undrain() {
        synchronized (this) {
            operatorReason = null;
            lastRefusal = "";
        }
        log.info("undrain by operator");
        return apply();
    }

    /** Automatic drain and undrain from Asterisk's health. Never blocks the caller. */
    @Override
    public void onLoad(NodeLoad load) {
        latestLoad = load;
        if (load.asteriskAvailable()) {
            synchronized (this) {
                // An automatic drain refused while Asterisk was down is moot once it is up again.
                if (lastRefusal.startsWith("automatic")) {
                    lastRefusal = "";
                }
            }
        }
        if (needsChange(load) && automaticBusy.compareAndSet(false, true)) {
            try {
                automatic.execute(this::automaticLoop);
            } catch (RuntimeException e) {
                automaticBusy.set(false);
            }
        }
    }

    private boolean needsChange(NodeLoad load) {
        boolean wantDrain = automaticEnabled && !load.asteriskAvailable();
        synchronized (this) {
            return wantDrain ? automaticReason == null : automaticReason != null || !applied;
        }
    }

    /**
     * Follows the newest sample: samples that arrived while a change was being applied are not lost, so an
     * undrain right after a drain does not wait for the next interval. Bounded; a refused drain waits for the next
     * sample (one dispatcher.list per sample while refused).
     */
    private void automaticLoop() {
        boolean refused = false;
        try {
            for (int round = 0; round < 4 && !refused; round++) {
                NodeLoad load = latestLoad;
                if (load == null || !needsChange(load)) {
                    return;
                }
                boolean drain = automaticEnabled && !load.asteriskAvailable();
                String reason = load.unavailableReason() == null
                                || load.unavailableReason().isBlank()
                        ? "asterisk unavailable"
                        : "asterisk unavailable: " + load.unavailableReason();
                refused = !automaticChange(drain, reason);
            }
        } catch (RuntimeException e) {
            log.warn("automatic drain/undrain failed: {}", e.toString());
            refused = true;
        } finally {
            automaticBusy.set(false);
        }
        // A sample that came in while busy and found it busy: follow it now. Not after a refusal or a failure,
        // which wait for the next sample instead of retrying in a tight loop.
        NodeLoad load = latestLoad;
        if (!refused && load != null && needsChange(load) && automaticBusy.compareAndSet(false, true)) {
            try {
                automatic.execute(this::automaticLoop);
            } catch (RuntimeException e) {
                automaticBusy.set(false);
            }
        }
    }

    /** Returns false when the drain was refused. */
    private boolean automaticChange(boolean drain, String reason) {
        if (drain) {
            if (!forceAutomatic) {
                String refusal = refusal();
                if (refusal != null) {
                    synchronized (this) {
                        lastRefusal = "automatic drain (" + reason + ") refused: " + refusal;
                    }
                    log.warn("automatic drain ({}) refused: {}", reason, refusal);
                    return false;
                }
            }
            synchronized (this) {
                automaticReason = reason;
                lastRefusal = "";
            }
            log.warn("automatic drain: {}", reason);
        } else {
            synchronized (this) {
                if (automaticReason != null) {
                    log.info("automatic undrain: asterisk available again");
                }
                automaticReason = null;
            }
        }
        apply();
        return true;
    }

    /** Why draining this node now would leave no active PBX, or null when it would not. */
    private String refusal() {
        Map<URI, RpcResult> lists;
        try {
            lists = reporter.dispatcherLists().get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (Exception e) {
            Thread.currentThread().interrupt();
            return null;
        }
        BalancerTarget t = reporter.target();
        int answered = 0;
        for (Map.Entry<URI, RpcResult> e : lists.entrySet()) {
            if (!e.getValue().ok()) {
                continue;
            }
            answered++;
            Map<String, String> dests = LoadReporter.destinations(e.getValue().result(), t.setId());
            for (Map.Entry<String, String> d : dests.entrySet()) {
                if (!d.getKey().equals(t.nodeUri()) && d.getValue().startsWith("A")) {
                    return null;
                }
            }
        }
        // No Kamailio answered: nothing can be protected, and the state is sent when they return.
        return answered == 0 ? null : "no other active destination in dispatcher set " + t.setId();
    }

    /** Pushes the combined state to every Kamailio and waits (bounded) for their answers. */
    private DrainState apply() {
        boolean drained;
        synchronized (this) {
            drained = operatorReason != null || automaticReason != null;
            if (drained != drainedInKamailio || !applied) {
                since = clock.instant();
            }
            drainedInKamailio = drained;
            applied = true;
        }
        Map<String, String> results = new LinkedHashMap<>();
        try {
            Map<URI, RpcResult> r = reporter.pushState(drained).get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
            r.forEach((u, res) -> results.put(u.toString(), res.toString()));
        } catch (TimeoutException e) {
            results.put("*", "no answer within " + waitLimit.toMillis() + " ms; re-sent periodically");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            results.put("*", e.toString());
        }
        synchronized (this) {
            lastPush = Map.copyOf(results);
        }
        return state();
    }

    @Override
    public synchronized DrainState state() {
        boolean drained = operatorReason != null || automaticReason != null;
        String reason = operatorReason != null ? operatorReason : automaticReason != null ? automaticReason : "";
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("operator", operatorReason == null ? "" : operatorReason);
        details.put("automatic", automaticReason == null ? "" : automaticReason);
        details.put("refused", lastRefusal);
        // Each Kamailio's own state is in the balancer section, once.
        details.put("last_state_push", lastPush);
        return new DrainState(drained, reason, since, details);
    }

    /**
     * HAProxy agent-check line: {@code down#reason} when Asterisk is unavailable, {@code drain} when drained,
     * otherwise the spare capacity as {@code N% ready}.
     */
    public String agentCheckLine() {
        NodeLoad load = reporter.latest();
        if (load != null && !load.asteriskAvailable()) {
            String r = load.unavailableReason() == null ? "" : load.unavailableReason();
            return "down#" + sanitize(r.isBlank() ? "asterisk unavailable" : r);
        }
        synchronized (this) {
            if (operatorReason != null || automaticReason != null) {
                return "drain";
            }
        }
        if (load == null) {
            return "down#no load sample yet";
        }
        int spare = 100 - Math.max(0, Math.min(100, load.score()));
        return spare + "% ready";
    }

    /** HAProxy reads up to the line end; a reason is one printable line without the separators it parses. */
    private static String sanitize(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 120));
        for (int i = 0; i < s.length() && b.length() < 120; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c > 0x7e || c == ',' || c == '#' ? ' ' : c);
        }
        return b.toString().strip();
    }

    @Override
    public void close() {
        automatic.shutdownNow();
    }

    /** For tests and /status: the reasons currently holding the drain. */
    public synchronized List<String> reasons() {
        return java.util.stream.Stream.of(operatorReason, automaticReason)
                .filter(java.util.Objects::nonNull)
                .toList();
    }
}
