package org.pbxagent.agent.balancer;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * This node's state as one Kamailio should hold it, and the pushes that put it there. At most one push is in flight
 * per Kamailio; newer state replaces older state that was not sent yet, so a slow or dead Kamailio builds no queue
 * and delays no other Kamailio. After a failed push the link counts as unreachable, and its first answer after that
 * triggers a full re-send (score and dispatcher state), which is how a restarted Kamailio catches up.
 */
final class KamailioLink {
    private final URI url;
    private final KamailioRpc rpc;
    private final BalancerTarget target;
    private final Clock clock;

    // Guarded by this.
    private Integer wantedScore;
    private boolean scoreDirty;
    private Boolean wantedDrained;
    private boolean stateDirty;
    /** The wanted state was pushed and Kamailio said ok. */
    private boolean stateConfirmed;

    private boolean inFlight;
    private boolean unreachable;
    private CompletableFuture<RpcResult> stateWaiter;
    private Instant lastPushAt;
    private RpcResult lastResult;
    private Instant lastErrorAt;
    private String lastError;
    private long pushes;
    private long failures;
    private Instant lastSuccessAt;
    private long lastPushNanos = -1;
    private volatile java.util.function.LongConsumer pushObserver = n -> {};

    KamailioLink(URI url, KamailioRpc rpc, BalancerTarget target, Clock clock) {
        this.url = url;
        this.rpc = rpc;
        this.target = target;
        this.clock = clock;
    }

    URI url() {
        return url;
    }

    /** Told the duration of every push, answered or not (for the push latency histogram). */
    void observePushes(java.util.function.LongConsumer nanos) {
        pushObserver = nanos;
    }

    /** Queues the score; sent at once unless a push is in flight, then right after it. */
    void pushScore(int score) {
        synchronized (this) {
            wantedScore = score;
            scoreDirty = true;
        }
        pump();
    }

    /**
     * Queues the dispatcher state; the future completes with the result of the push that carried it (or a later
     * one), within the request timeout.
     */
    CompletableFuture<RpcResult> pushState(boolean drained) {
        CompletableFuture<RpcResult> waiter;
        synchronized (this) {
            wantedDrained = drained;
            stateDirty = true;
            stateConfirmed = false;
            if (stateWaiter == null) {
                stateWaiter = new CompletableFuture<>();
            }
            waiter = stateWaiter;
        }
        pump();
        return waiter;
    }

    /** Re-sends everything known: the periodic catch-up for a Kamailio that restarted and lost it. */
    void resendAll() {
        synchronized (this) {
            scoreDirty = wantedScore != null;
            markStateForResend();
        }
        pump();
    }

    /**
     * Once per push interval: an unreachable Kamailio gets everything, a drain is repeated (a Kamailio that restarted
     * between two pushes unnoticed has this PBX active again from its list file), and an unconfirmed state is retried.
     */
    void tick() {
        synchronized (this) {
            if (unreachable) {
                scoreDirty = wantedScore != null;
            }
            markStateForResend();
        }
        pump();
    }

    /**
     * "d" is idempotent and safe to repeat. "ap" is not repeated once confirmed: it would override the keepalive's
     * inactive mark of a PBX whose SIP side is dead; a restarted Kamailio has the PBX active from its list anyway.
     */
    private void markStateForResend() {
        if (wantedDrained != null && (wantedDrained || !stateConfirmed)) {
            stateDirty = true;
        }
    }

    /** Stops re-sending the score, so Kamailio lets it expire. */
    synchronized void forgetScore() {
        wantedScore = null;
        scoreDirty = false;
    }

    synchronized boolean unreachable() {
        return unreachable;
    }

    /** Sends the next dirty item if nothing is in flight. Never blocks. */
    @SuppressWarnings(
            "FutureReturnValueIgnored") // the RPC future never fails (errors are an RpcResult) and done() is what
    // follows it
    private void pump() {
        boolean isState;
        boolean drained = false;
        int score = 0;
        synchronized (this) {
            if (inFlight) {
                return;
            }
            if (stateDirty) {
                // The drain state first: it decides whether this node gets calls at all.
                stateDirty = false;
                isState = true;
                drained = wantedDrained;
            } else if (scoreDirty) {
                scoreDirty = false;
                isState = false;
                score = wantedScore;
            } else {
                return;
            }
            inFlight = true;
        }
        long t0 = System.nanoTime();
        CompletableFuture<RpcResult> sent = isState
                ? rpc.state(url, target.nodeUri(), drained)
                : rpc.score(url, target.nodeUri(), score, target.ttlSeconds());
        sent.whenComplete((result, t) -> done(isState, result, System.nanoTime() - t0));
    }

    private void done(boolean wasState, RpcResult result, long nanos) {
        CompletableFuture<RpcResult> toComplete = null;
        try {
            pushObserver.accept(nanos);
        } catch (RuntimeException e) {
            // metrics must not stop the pushes
        }
        synchronized (this) {
            inFlight = false;
            pushes++;
            lastPushAt = clock.instant();
            lastPushNanos = nanos;
            lastResult = result;
            if (result.ok()) {
                lastSuccessAt = lastPushAt;
            } else {
                failures++;
                lastError = (wasState ? "state " : "score ") + result;
                lastErrorAt = lastPushAt;
            }
            if (wasState && result.ok() && !stateDirty) {
                stateConfirmed = true;
            }
            if (result.answered() && unreachable) {
                // It came back: it may have restarted with nothing of ours.
                unreachable = false;
                scoreDirty = wantedScore != null;
                markStateForResend();
            } else if (!result.answered()) {
                unreachable = true;
            }
            if (wasState && !stateDirty && stateWaiter != null) {
                toComplete = stateWaiter;
                stateWaiter = null;
            }
        }
        if (toComplete != null) {
            toComplete.complete(result);
        }
        pump();
    }

    /** This Kamailio's part of /status. */
    synchronized Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", url.toString());
        m.put("reachable", !unreachable && lastResult != null);
        m.put("dispatcher_state", confirmedState());
        m.put("last_push_at", lastPushAt == null ? null : lastPushAt.toString());
        m.put("last_push_ms", lastPushNanos < 0 ? null : lastPushNanos / 1e6);
        m.put("last_result", lastResult == null ? null : lastResult.toString());
        m.put("last_success_at", lastSuccessAt == null ? null : lastSuccessAt.toString());
        m.put("last_error_at", lastErrorAt == null ? null : lastErrorAt.toString());
        m.put("last_error", lastError);
        m.put("pushes", pushes);
        m.put("failures", failures);
        return m;
    }

    /**
     * The dispatcher state this Kamailio confirmed for this node: {@code drained} or {@code active} once it answered
     * ok to the wanted state, {@code unconfirmed} while a push of it is pending or failed, {@code none} before any.
     */
    synchronized String confirmedState() {
        if (wantedDrained == null) {
            return "none";
        }
        if (!stateConfirmed) {
            return "unconfirmed";
        }
        return wantedDrained ? "drained" : "active";
    }

    /** When this Kamailio last answered a push ok; null before. */
    synchronized Instant lastSuccessAt() {
        return lastSuccessAt;
    }

    synchronized long pushes() {
        return pushes;
    }

    synchronized long failures() {
        return failures;
    }
}
