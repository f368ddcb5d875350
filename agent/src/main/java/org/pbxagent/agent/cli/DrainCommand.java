package org.pbxagent.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.http.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pbx-agent drain} and {@code undrain}: the operator's POST /drain and /undrain with the admin token read from
 * its file (never from argv, which every user of the node can read in {@code ps}). Exit 0 when the node is where it
 * was asked to be, 1 when the agent refused (the last active PBX; an automatic drain still holding), 3 when no agent
 * answers, 2 bad usage, an unreadable token or a token the agent does not accept.
 */
public abstract class DrainCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "take http.bind, http.port and http.admin-token from this configuration (default "
                    + "/etc/pbx-agent/pbx-agent.properties when it exists; other secrets are not read)")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "agent base URL instead (default http://127.0.0.1:8088)")
    URI url;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "admin token file (default: http.admin-token of the configuration, else "
                    + "/etc/pbx-agent/admin.token)")
    Path tokenFile;

    @Option(
            names = "--timeout-ms",
            defaultValue = "10000",
            paramLabel = "MS",
            description = "deadline of the connect and of the answer; the agent waits up to drain.wait-ms for the "
                    + "Kamailios (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Spec
    CommandSpec spec;

    /** The request path with its query, e.g. {@code /drain?reason=...}. */
    abstract String request();

    abstract boolean wantDrained();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String name = "pbx-agent " + spec.name();
        if (timeoutMs < 100 || timeoutMs > 600_000) {
            err.println(name + ": --timeout-ms must be 100..600000");
            return PbxAgent.EXIT_USAGE;
        }
        Path cfg = config;
        if (cfg == null && url == null && Files.isRegularFile(AgentEndpoint.DEFAULT_CONFIG)) {
            cfg = AgentEndpoint.DEFAULT_CONFIG;
        }
        URI base;
        String token;
        SSLContext tls;
        try {
            base = url != null ? url : cfg != null ? AgentEndpoint.url(cfg) : AgentEndpoint.DEFAULT_URL;
            token = AgentEndpoint.token(tokenFile, url != null ? null : cfg);
            tls = cfg != null ? AgentEndpoint.tls(cfg) : null;
        } catch (ConfigException e) {
            err.println(name + ": " + cfg + ": " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        } catch (IOException e) {
            err.println(name + ": cannot read the admin token: " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        } catch (GeneralSecurityException e) {
            err.println(name + ": cannot use http.tls.keystore: " + e.getClass().getSimpleName());
            return PbxAgent.EXIT_USAGE;
        }
        AgentHttp.Answer answer;
        try {
            answer = AgentHttp.post(base.resolve(request()), token, tls, Duration.ofMillis(timeoutMs));
        } catch (SocketTimeoutException e) {
            return notAnswering(err, name, base, "no answer within " + timeoutMs + " ms");
        } catch (ConnectException e) {
            return notAnswering(err, name, base, "connection refused");
        } catch (IOException e) {
            return notAnswering(err, name, base, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            err.println(name + ": bad URL " + base + ": " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        }
        if (answer.status() == 401) {
            err.println(name + ": the agent at " + base + " did not accept the admin token");
            return PbxAgent.EXIT_USAGE;
        }
        JsonNode state;
        try {
            state = Json.mapper().readTree(answer.body());
        } catch (IOException e) {
            return notAnswering(err, name, base, "HTTP " + answer.status() + ", not pbx-agent's JSON");
        }
        if (answer.status() == 400) {
            err.println(name + ": " + state.path("error").asText("bad request"));
            return PbxAgent.EXIT_USAGE;
        }
        boolean drained = state.path("drained").asBoolean();
        String reason = state.path("reason").asText();
        if ((answer.status() == 200 || answer.status() == 409) && drained == wantDrained()) {
            out.println(drained ? "drained: " + reason : "in rotation");
            out.flush();
            return PbxAgent.EXIT_OK;
        }
        if (answer.status() == 200 || answer.status() == 409) {
            String refused = state.path("details").path("refused").asText("");
            err.println(name + ": refused, the node is "
                    + (drained ? "still drained (" + reason + ")" : "still in rotation")
                    + (refused.isEmpty() ? "" : ": " + refused));
            err.flush();
            return PbxAgent.EXIT_FAILURE;
        }
        err.println(name + ": HTTP " + answer.status() + " from " + base + ": "
                + state.path("error").asText(answer.body()));
        return PbxAgent.EXIT_FAILURE;
    }

    private static int notAnswering(PrintWriter err, String name, URI base, String why) {
        err.println(name + ": no agent answering at " + base + " (" + why + ")");
        err.flush();
        return PbxAgent.EXIT_NOT_RUNNING;
    }

    /** Out of the balancers' rotation: no new calls reach this node; calls up stay. */
    @Command(
            name = "drain",
            mixinStandardHelpOptions = true,
            description = "Take this node out of every Kamailio's rotation (POST /drain with the admin token). "
                    + "Exit 0 drained, 1 refused (e.g. the last active PBX: --force), 3 no agent answering, "
                    + "2 bad usage or token.")
    public static final class Drain extends DrainCommand {
        @Option(
                names = "--reason",
                paramLabel = "TEXT",
                defaultValue = "admin request",
                description = "shown in /status and the logs (default: ${DEFAULT-VALUE})")
        String reason;

        @Option(names = "--force", description = "drain even when this is the last active PBX of the set")
        boolean force;

        @Override
        String request() {
            return "/drain?reason=" + URLEncoder.encode(reason, StandardCharsets.UTF_8) + (force ? "&force=true" : "");
        }

        @Override
        boolean wantDrained() {
            return true;
        }
    }

    /** Back into rotation. */
    @Command(
            name = "undrain",
            mixinStandardHelpOptions = true,
            description = "Put this node back into every Kamailio's rotation (POST /undrain with the admin token). "
                    + "Exit 0 in rotation, 1 still drained (an automatic drain holds while Asterisk is down), "
                    + "3 no agent answering, 2 bad usage or token.")
    public static final class Undrain extends DrainCommand {
        @Override
        String request() {
            return "/undrain";
        }

        @Override
        boolean wantDrained() {
            return false;
        }
    }
}
