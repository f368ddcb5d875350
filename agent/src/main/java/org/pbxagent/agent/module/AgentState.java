package org.pbxagent.agent.module;

/** Where the daemon is in its life; /health is ready only in RUNNING. */
public enum AgentState {
    STARTING,
    RUNNING,
    STOPPING,
    STOPPED
}
