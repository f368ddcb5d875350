package org.pbxagent.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.pbxagent.agent.PbxAgent;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.http.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Asks a running agent how it is, for people and for scripts (OCF monitor, cron checks). Exit codes: 0 ready,
 * 1 answering but not ready (HTTP 503 from /health), 3 no agent answering within the timeout, 2 bad usage.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Query a running agent's /status (and /health). Exit 0 ready, 1 not ready, 3 not answering.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "take http.bind and http.port from this configuration")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "agent base URL (default http://127.0.0.1:8088)")
    URI url;

    @Option(names = "--timeout-ms", defaultValue = "2000", paramLabel = "MS",
            description = "connect and answer deadline (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--json", description = "print the raw /status JSON")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "print nothing; only the exit code")
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
        if (base == null && config != null) {
            AgentConfig c = ConfigLoading.load(config, err);
            if (c == null) {
                return PbxAgent.EXIT_USAGE;
            }
            String host = "0.0.0.0".equals(c.http().bind()) ? "127.0.0.1"
                    : "::".equals(c.http().bind()) ? "[::1]" : hostPart(c.http().bind());
            base = URI.create("http://" + host + ":" + c.http().port());
        }
        if (base == null) {
            base = URI.create("http://127.0.0.1:8088");
        }
        Duration timeout = Duration.ofMillis(timeoutMs);
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        try {
            HttpResponse<String> health = get(client, base.resolve("/health"), remaining(deadline));
            HttpResponse<String> status = get(client, base.resolve("/status"), remaining(deadline));
            boolean ready = health.statusCode() == 200;
            if (!quiet) {
                if (json) {
                    out.println(status.body());
                } else {
                    out.print(summary(status.body(), health.body(), ready));
                }
                out.flush();
            }
            return ready ? PbxAgent.EXIT_OK : PbxAgent.EXIT_FAILURE;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return notAnswering(err, base, "something answers there, but not with pbx-agent's JSON");
        } catch (HttpTimeoutException e) {
            return notAnswering(err, base, "no answer within " + timeoutMs + " ms");
        } catch (ConnectException e) {
            return notAnswering(err, base, "connection refused");
        } catch (IOException e) {
            return notAnswering(err, base, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PbxAgent.EXIT_FAILURE;
        } catch (IllegalArgumentException e) {
            err.println("pbx-agent status: bad URL " + base + ": " + e.getMessage());
            return PbxAgent.EXIT_USAGE;
        }
    }

    private static String hostPart(String bind) {
        return bind.indexOf(':') >= 0 ? "[" + bind + "]" : bind;
    }

    private int notAnswering(PrintWriter err, URI base, String why) {
        if (!quiet) {
            err.println("pbx-agent status: no agent answering at " + base + " (" + why + ")");
            err.flush();
        }
        return PbxAgent.EXIT_NOT_RUNNING;
    }

    private static Duration remaining(long deadline) {
        long ns = deadline - System.nanoTime();
        return Duration.ofNanos(Math.max(ns, 1_000_000));
    }

    private static HttpResponse<String> get(HttpClient client, URI uri, Duration timeout)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A few lines a person reads at a glance. */
    static String summary(String statusJson, String healthJson, boolean ready) throws IOException {
        JsonNode s = Json.mapper().readTree(statusJson);
        JsonNode h = Json.mapper().readTree(healthJson);
        StringBuilder sb = new StringBuilder();
        JsonNode node = s.path("node");
        sb.append("node ").append(node.path("id").asText()).append(": ").append(ready ? "ready" : "NOT READY")
                .append(" (").append(node.path("state").asText()).append(", up ")
                .append(node.path("uptime_s").asLong()).append(" s, version ").append(node.path("version").asText())
                .append(")\n");
        for (JsonNode f : h.path("failures")) {
            sb.append("  failure: ").append(f.asText()).append('\n');
        }
        for (JsonNode n : h.path("notes")) {
            sb.append("  note: ").append(n.asText()).append('\n');
        }
        JsonNode d = s.path("drain");
        if (!d.isMissingNode()) {
            sb.append("drain: ").append(d.path("drained").asBoolean() ? "DRAINED (" + d.path("reason").asText() + ")"
                    : "in rotation").append('\n');
        }
        JsonNode f = s.path("fastagi");
        if (!f.isMissingNode()) {
            sb.append("fastagi: port ").append(f.path("port").asInt()).append(", in flight ")
                    .append(f.path("in_flight").asInt()).append(", served ").append(f.path("served").asLong())
                    .append(", refused ").append(f.path("refused").asLong()).append('\n');
        }
        JsonNode r = s.path("routing");
        if (!r.isMissingNode()) {
            if (r.path("has_data").asBoolean()) {
                sb.append("routing: version ").append(r.path("snapshot_version").asLong()).append(" from ")
                        .append(r.path("source").asText()).append(", DB ")
                        .append(r.path("db_reachable").asBoolean() ? "reachable" : "UNREACHABLE")
                        .append(r.path("degraded").asBoolean() ? ", DEGRADED" : "").append(", ")
                        .append(r.path("problems").size()).append(" problem(s)\n");
            } else {
                sb.append("routing: NO DATA (").append(r.path("error").asText()).append(")\n");
            }
        }
        s.fieldNames().forEachRemaining(name -> {
            if (!java.util.Set.of("node", "health", "drain", "fastagi", "routing").contains(name)) {
                sb.append(name).append(": ").append(s.path(name)).append('\n');
            }
        });
        return sb.toString();
    }
}
