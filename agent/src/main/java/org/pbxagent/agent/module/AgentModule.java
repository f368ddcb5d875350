package org.pbxagent.agent.module;

/**
 * A capability plugged into the daemon (AMI watch, load reporting, balancer push, storage probes ...). The daemon
 * calls {@link #install} once, after the core is built and before anything is started; the module registers its
 * components, status sections, health checks and periodic work there. Modules are listed in {@code daemon.AgentModules}.
 */
public interface AgentModule {

    /** Short name for logs. */
    String name();

    /** Registers this module's parts; throwing aborts the start with the message shown to the operator. */
    void install(AgentRuntime runtime) throws Exception;
}
