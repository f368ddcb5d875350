package org.pbxagent.agent.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pbxagent.agent.cli.AgiCallCommand;
import org.pbxagent.agent.cli.PbxAgent;
import org.pbxagent.agent.daemon.AgentDaemon;
import org.pbxagent.fastagi.RouteAction;
import org.pbxagent.fastagi.RouteVariable;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;

/** Plays the demo's sample call over FastAGI, as Asterisk would, and explains the decision. */
final class SampleCall {
    private static final String CALLER = "5551234";

    private SampleCall() {}

    static int play(AgentDaemon daemon, String script, PrintWriter out, PrintWriter err) {
        int port = daemon.fastAgiPort();
        out.println();
        out.println("Sample call: AGI(agi://127.0.0.1:" + port + "/" + script + ") from caller " + CALLER
                + ", played over FastAGI as Asterisk 20 would");
        AgiCallResult r;
        try {
            r = new AgiCallClient()
                    .call("127.0.0.1", port, script, Map.of("callerid", CALLER), List.of(), Duration.ofSeconds(10));
        } catch (IOException e) {
            err.println("pbx-agent demo: the sample call failed: " + e.getMessage());
            return PbxAgent.EXIT_FAILURE;
        }
        Map<String, String> v = r.variables();
        out.println("Decision (channel variables the static dialplan executes):");
        AgiCallCommand.print(out, v);
        out.println("In words: " + inWords(v));
        out.flush();
        return v.containsKey(RouteVariable.ACTION.variable()) ? PbxAgent.EXIT_OK : PbxAgent.EXIT_FAILURE;
    }

    private static String inWords(Map<String, String> v) {
        String action = v.getOrDefault(RouteVariable.ACTION.variable(), "");
        String target = v.getOrDefault(RouteVariable.TARGET.variable(), "");
        String timeout = v.get(RouteVariable.TIMEOUT.variable());
        String reason = v.get(RouteVariable.REASON.variable());
        RouteAction known = RouteAction.of(action);
        String plain = action.toLowerCase(Locale.ROOT) + (target.isEmpty() ? "" : " " + target);
        String what = known == null
                ? (action.isEmpty() ? "no decision (the dialplan's fallback branch runs)" : plain)
                : switch (known) {
                    case DIAL -> "dial " + target + (timeout != null ? " for " + timeout + " s" : "");
                    case VOICEMAIL -> "send to voicemail " + target;
                    case VOICEMAIL_MAIN -> "open the voicemail box " + target + " after its PIN";
                    case QUEUE -> "put into queue " + target;
                    case PLAYBACK -> "play " + target;
                    case HANGUP -> "hang up" + (target.isEmpty() ? "" : " (cause " + target + ")");
                    case CONGESTION, BUSY -> plain;
                    case IVR ->
                        "play the menu " + target + " and read the caller's choice"
                                + (timeout != null ? " (" + timeout + " s per digit)" : "");
                };
        if (reason != null && !reason.isEmpty()) {
            what += ", reason: " + reason;
        }
        if (RouteVariable.DEGRADED_YES.equals(v.get(RouteVariable.DEGRADED.variable()))) {
            what += " (degraded: answered from the snapshot)";
        }
        return what;
    }
}
