package org.pbxagent.agent.daemon;

import java.util.Map;
import java.util.function.Function;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.module.CallListener;
import org.pbxagent.fastagi.DecisionScript;

/** Builds the FastAGI listener the daemon serves calls with. */
public final class CallListeners {
    private CallListeners() {}

    public static Function<Map<String, DecisionScript>, CallListener> forConfig(AgentConfig config) {
        return scripts -> new FastAgiListener(config.fastagi(), scripts);
    }
}
