package org.pbxagent.agent.daemon;

import java.util.List;
import org.pbxagent.agent.module.AgentModule;

/**
 * Every module the daemon installs, in order. Adding a capability to the daemon is one {@link AgentModule} class
 * plus one line here (and its configuration section in {@code cli.ConfigSections}).
 */
public final class AgentModules {
    private AgentModules() {}

    public static List<AgentModule> all() {
        org.pbxagent.agent.load.LoadModule load = new org.pbxagent.agent.load.LoadModule();
        return List.of(
                load,
                new org.pbxagent.agent.balancer.BalancerModule(load::addListener),
                new org.pbxagent.agent.storage.StorageModule());
    }
}
