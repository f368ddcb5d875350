package org.pbxagent.agent.module;

import java.time.Duration;

/** The FastAGI listener as the daemon drives it: counters for status and metrics, wait-for-idle, close. */
@SuppressWarnings("try") // as AgentComponent: close() is called by the daemon, not by try-with-resources
public interface CallListener extends AgentComponent {

    int port();

    int sessionsInFlight();

    long sessionsServed();

    long sessionsRefused();

    /** Waits until no session is in flight; false when {@code max} passed first. */
    boolean awaitIdle(Duration max) throws InterruptedException;
}
