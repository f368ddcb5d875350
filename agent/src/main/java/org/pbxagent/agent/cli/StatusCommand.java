package org.pbxagent.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.http.Json;
import org.pbxagent.agent.http.StatusSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Asks a running agent how it is, for people and for scripts (OCF monitor, cron checks). Exit codes: 0 ready,
 * 1 answering but not ready (HTTP 503 from /health), 3 no agent answering within the timeout, 2 bad usage.
 */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Ask a running agent how it is: the status page's summary as text (--json: the whole /status"
                + " JSON, for scripts). Exit 0 ready, 1 not ready, 3 not answering.")
public final class StatusCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "take http.bind, http.port, http.tls.* and http.read-token from this configuration"
                    + " (no other secret is read)")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "agent base URL (default http://127.0.0.1:8088)")
    URI url;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "read token for /status (first line); with --config, http.read-token is used")
    Path tokenFile;

    // 5 s: a cold TLS handshake alone took 2.9 s on a loaded node.
    @Option(
            names = "--timeout-ms",
            defaultValue = "5000",
            paramLabel = "MS",
            description = "deadline of the connect and of each answer, counted on the wire (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--json", description = "print the whole /status JSON instead of the summary (for scripts)")
    boolean json;

    @Option(
            names = {"-q", "--quiet"},
            description = "print nothing; only the exit code")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (timeoutMs < 100 || timeoutMs > 600_000) {
            err.println("pbx-agent status: --timeout-ms must be 100..600000");
            return PbxAgent.EXIT_USAGE;
        }
        URI base = url;
        SSLContext tls = null;
        String token;
        try {
            if (config != null) {
                if (base == null) {
                    base = AgentEndpoint.url(config);
                }
                // Trust exactly the agent's own certificate: this host's agent, not any CA's.
                tls = AgentEndpoint.tls(config);
            }
            token = AgentEndpoint.readToken(tokenFile, config);
        } catch (ConfigException e) {
            err.println("pbx-agent status: " + config + ": " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        } catch (IOException | GeneralSecurityException e) {
            err.println("pbx-agent status: cannot use the read token or http.tls.keystore: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            return PbxAgent.EXIT_USAGE;
        }
        if (base == null) {
            base = AgentEndpoint.DEFAULT_URL;
        }
        Duration timeout = Duration.ofMillis(timeoutMs);
        try {
            AgentHttp.Answer health = AgentHttp.get(base.resolve("/health"), null, tls, timeout);
            AgentHttp.Answer status = AgentHttp.get(base.resolve("/status"), token, tls, timeout);
            if (status.status() == 401) {
                err.println("pbx-agent status: " + base + "/status needs the read token ("
                        + (token == null
                                ? "give --config with http.read-token, or --token-file"
                                : "the one given was refused")
                        + ")");
                return PbxAgent.EXIT_USAGE;
            }
            boolean ready = health.status() == 200;
            if (!quiet) {
                if (json) {
                    // Scripts parse this: only an agent's JSON is passed on.
                    if (!Json.mapper().readTree(status.body()).path("node").isObject()) {
                        throw new com.fasterxml.jackson.core.JsonParseException(null, "no node in /status");
                    }
                    out.println(status.body());
                } else {
                    out.print(summary(status.body(), health.body(), ready));
                }
                out.flush();
            }
            return ready ? PbxAgent.EXIT_OK : PbxAgent.EXIT_FAILURE;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return notAnswering(err, base, "something answers there, but not with pbx-agent's JSON");
        } catch (SocketTimeoutException e) {
            return notAnswering(err, base, "no answer within " + timeoutMs + " ms");
        } catch (ConnectException e) {
            return notAnswering(err, base, "connection refused");
        } catch (SSLException e) {
            return notAnswering(err, base, "TLS failed: " + e.getMessage());
        } catch (IOException e) {
            return notAnswering(err, base, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            err.println("pbx-agent status: bad URL " + base + ": " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        }
    }

    private int notAnswering(PrintWriter err, URI base, String why) {
        if (!quiet) {
            err.println("pbx-agent status: no agent answering at " + base + " (" + why + ")");
            err.flush();
        }
        return PbxAgent.EXIT_NOT_RUNNING;
    }

    /**
     * The summary the status page shows in its band, as text: the agent's own ({@code summary} in /status), or
     * made here from the sections when the agent's JSON has none.
     */
    static String summary(String statusJson, String healthJson, boolean ready) throws IOException {
        JsonNode s = Json.mapper().readTree(statusJson);
        JsonNode h = Json.mapper().readTree(healthJson);
        if (!s.isObject() || !s.path("node").isObject()) {
            throw new com.fasterxml.jackson.core.JsonParseException(null, "no node in /status");
        }
        com.fasterxml.jackson.databind.node.ObjectNode summary =
                s.path("summary").isObject()
                        ? (com.fasterxml.jackson.databind.node.ObjectNode) s.path("summary")
                        : StatusSummary.of(s, java.time.Instant.now());
        // /health is the readiness that decides the exit code; its reasons are the ones to print.
        if (h.path("failures").isArray()) {
            summary.set("failures", h.path("failures"));
        }
        if (h.path("notes").isArray()) {
            summary.set("notes", h.path("notes"));
        }
        return StatusSummary.text(summary, ready);
    }
}
