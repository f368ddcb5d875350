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

    KamailioLink(URI url, KamailioRpc rpc, BalancerTarget target, Clock clock) {
        this.url = url;
        this.rpc = rpc;
        this.target = target;
        this.clock = clock;
    }

    URI url() {
        return url;
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
    private void pump() {
        String method;
        Object[] params;
        boolean isState;
        synchronized (this) {
            if (inFlight) {
                return;
            }
            if (stateDirty) {
                // The drain state first: it decides whether this node gets calls at all.
                stateDirty = false;
                isState = true;
                method = "dispatcher.set_state";
                params = new Object[]{wantedDrained ? "d" : "ap", target.setId(), target.nodeUri()};
            } else if (scoreDirty) {
                scoreDirty = false;
                isState = false;
                method = "htable.setxi";
                params = new Object[]{target.htable(), target.htableKey(), wantedScore, target.ttlSeconds()};
            } else {
                return;
            }
            inFlight = true;
        }
        rpc.call(url, method, params).whenComplete((result, t) -> done(isState, result));
    }

    private void done(boolean wasState, RpcResult result) {
        CompletableFuture<RpcResult> toComplete = null;
        synchronized (this) {
            inFlight = false;
            pushes++;
            lastPushAt = clock.instant();
            lastResult = result;
            if (!result.ok()) {
                failures++;
                lastError = (wasState ? "dispatcher.set_state " : "htable.setxi ") + result;
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
        m.put("lastPushAt", lastPushAt == null ? null : lastPushAt.toString());
        m.put("lastResult", lastResult == null ? null : lastResult.toString());
        m.put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString());
        m.put("lastError", lastError);
        m.put("pushes", pushes);
        m.put("failures", failures);
        return m;
    }

    synchronized long pushes() {
        return pushes;
    }

    synchronized long failures() {
        return failures;
    }
}
