package org.pbxagent.agent.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Plays one FastAGI session against a running agent, as Asterisk would, and prints the variables it set. */
@Command(
        name = "agi-call",
        mixinStandardHelpOptions = true,
        description = "Play one FastAGI session as Asterisk 20's res_agi runs it (one command per poll of the socket, "
                + "Nagle on, no read timeout) and print the channel variables the agent set. "
                + "Exit 0 when the session ran, 1 when it could not.")
public final class AgiCallCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "agent address (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "4573", description = "FastAGI port (default ${DEFAULT-VALUE})")
    int port;

    @Option(
            names = "--script",
            required = true,
            paramLabel = "SCRIPT",
            description = "script and query, as in agi://host:port/SCRIPT, e.g. 'route?tenant=acme&did=100'")
    String script;

    @Option(names = "--callerid", paramLabel = "NUMBER", description = "agi_callerid (caller's number)")
    String callerId;

    @Option(names = "--dnid", paramLabel = "NUMBER", description = "agi_dnid (dialled number)")
    String dnid;

    @Option(
            names = "--env",
            paramLabel = "KEY=VALUE",
            description = "any other agi_* value without the prefix, e.g. --env context=from-kamailio")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--arg", paramLabel = "ARG", description = "agi_arg_N, in order (repeatable)")
    List<String> args = new ArrayList<>();

    @Option(
            names = "--timeout-ms",
            defaultValue = "5000",
            description = "whole-session deadline (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--transcript", description = "print the whole exchange (A> Asterisk, S> agent)")
    boolean transcript;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (port < 1 || port > 65535 || timeoutMs < 1 || timeoutMs > 600_000) {
            err.println("pbx-agent agi-call: --port must be 1..65535 and --timeout-ms 1..600000");
            return PbxAgent.EXIT_USAGE;
        }
        if (script.isBlank() || script.chars().anyMatch(c -> c == '\n' || c == '\r')) {
            err.println("pbx-agent agi-call: --script must be one line, e.g. 'route?tenant=acme&did=100'");
            return PbxAgent.EXIT_USAGE;
        }
        Map<String, String> e = new LinkedHashMap<>(env);
        if (callerId != null) {
            e.put("callerid", callerId);
        }
        if (dnid != null) {
            e.put("dnid", dnid);
        }
        try {
            AgiCallResult r = new AgiCallClient().call(host, port, script, e, args, Duration.ofMillis(timeoutMs));
            if (transcript) {
                out.print(r.transcript());
                out.println();
            }
            print(out, r.variables());
            out.printf(
                    "  (%d round trip%s, the step held the channel %.1f ms)%n",
                    r.roundTrips(), r.roundTrips() == 1 ? "" : "s", r.holdNanos() / 1e6);
            out.flush();
            return PbxAgent.EXIT_OK;
        } catch (SocketTimeoutException ex) {
            err.println("pbx-agent agi-call: no complete answer from " + host + ":" + port + " within " + timeoutMs
                    + " ms");
        } catch (IOException ex) {
            err.println("pbx-agent agi-call: " + host + ":" + port + ": " + ex.getMessage());
        }
        err.flush();
        return PbxAgent.EXIT_FAILURE;
    }

    /** One variable per line, names aligned; what the static dialplan will see. */
    public static void print(PrintWriter out, Map<String, String> vars) {
        if (vars.isEmpty()) {
            out.println("  (no variables set: the dialplan takes its fallback branch)");
            return;
        }
        int w = vars.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, String> v : vars.entrySet()) {
            out.println("  " + v.getKey() + " ".repeat(w - v.getKey().length() + 1) + "= " + v.getValue());
        }
    }
}
