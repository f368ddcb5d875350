package org.pbxagent.agent.lifecycle;

/** Where the daemon is in its life; /health is ready only in RUNNING. */
public enum AgentState {
    STARTING,
    RUNNING,
    STOPPING,
    STOPPED
}
