package org.pbxagent.agent.daemon;

import java.time.Duration;
import java.util.Map;
import org.pbxagent.agent.config.FastAgiSettings;
import org.pbxagent.agent.module.CallListener;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.DeferredScript;
import org.pbxagent.fastagi.server.FastAgiServer;

/**
 * The fastagi module's server inside the daemon. The server keeps accepting during the stop grace on purpose:
 * after the drain no new calls arrive, but calls already up may still need a decision (the {@code next} script
 * after a failed dial), and refusing them would drop live calls.
 */
public final class FastAgiListener implements CallListener {
    private final FastAgiServer server;

    public FastAgiListener(FastAgiSettings s, Map<String, DecisionScript> scripts) {
        this.server = new FastAgiServer(s.server(), scripts);
    }

    /** Adds a script that answers after work off the selector threads (feature codes); before {@link #start()}. */
    public void registerDeferred(String name, DeferredScript script) {
        server.registerDeferred(name, script);
    }

    @Override
    public String name() {
        return "fastagi";
    }

    @Override
    public void start() throws Exception {
        server.start();
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public int sessionsInFlight() {
        return server.sessionsInFlight();
    }

    @Override
    public long sessionsServed() {
        return server.sessionsServed();
    }

    @Override
    public long sessionsRefused() {
        return server.sessionsRefusedByOverload() + server.sessionsRefusedByAllowList();
    }

    /** Counters beyond the three every listener has, for /status and /metrics. */
    public Map<String, Long> details() {
        return Map.of(
                "refused_overload", server.sessionsRefusedByOverload(),
                "refused_not_allowed", server.sessionsRefusedByAllowList(),
                "closed_unanswered", server.sessionsClosedUnanswered(),
                "malformed", server.sessionsMalformed(),
                "timed_out", server.sessionsTimedOut(),
                "unknown_script", server.sessionsUnknownScript(),
                "script_error", server.sessionsScriptError(),
                "peer_closed_early", server.sessionsPeerClosedEarly(),
                "error_replies", server.errorReplies());
    }

    @Override
    public boolean awaitIdle(Duration max) throws InterruptedException {
        return server.awaitIdle(max);
    }

    @Override
    public void close() {
        server.close();
    }
}
