package org.pbxagent.agent.lifecycle;

import java.time.Duration;

/** The FastAGI listener as the daemon drives it: counters for status and metrics, and the two-step stop. */
public interface CallListener extends AgentComponent {

    int port();

    int sessionsInFlight();

    long sessionsServed();

    long sessionsRefused();

    /** Stops accepting new sessions; sessions in flight go on. */
    void stopAccepting();

    /** Waits until no session is in flight; false when {@code max} passed first. */
    boolean awaitIdle(Duration max) throws InterruptedException;
}
