package org.pbxagent.agent.balancer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * HTTP to Kamailio. The agent speaks only the proxy's fixed agent endpoint of the shipped kamailio.cfg:
 * {@link #score}, {@link #state} and {@link #list}, every field in the URL, no body; the proxy answers them in
 * JSON-RPC 2.0 form. {@link #call} is plain JSON-RPC 2.0 (positional params) for the operator's RPC socket, which
 * only answers clients on the proxy itself. Asynchronous: a call returns at once and its future completes within
 * the request timeout, so a slow Kamailio never holds up the caller or the others. Every failure becomes an
 * {@link RpcResult}; the future never completes exceptionally.
 */
public final class KamailioRpc implements AutoCloseable {
    /** Kamailio's answers here are a few KB (dispatcher.list of a handful of PBXs); more is not an answer of ours. */
    private static final int MAX_RESPONSE_BYTES = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final long requestTimeoutMs;
    private final AtomicLong ids = new AtomicLong();

    /**
     * @param bindAddress source address of the requests, or null for the system's choice. Kamailio accepts JSON-RPC
     *                    only from the PBX addresses of its dispatcher set, so a multi-homed PBX sets it.
     */
    public KamailioRpc(InetAddress bindAddress, Duration connectTimeout, Duration requestTimeout) {
        this.requestTimeoutMs = requestTimeout.toMillis();
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("kamailio-rpc");
        pool.setDaemon(true);
        http = new HttpClient();
        http.setExecutor(pool);
        http.setName("kamailio-rpc");
        http.setConnectTimeout(connectTimeout.toMillis());
        http.setIdleTimeout(30_000);
        http.setFollowRedirects(false);
        // One request in flight per Kamailio is the pattern; a few extra for drain checks and status reads.
        http.setMaxConnectionsPerDestination(4);
        http.setMaxRequestsQueuedPerDestination(64);
        if (bindAddress != null) {
            http.setBindAddress(new InetSocketAddress(bindAddress, 0));
        }
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP client for Kamailio JSON-RPC: " + e, e);
        }
    }

    /**
     * This PBX's score into the proxy's htable with a TTL: {@code POST <endpoint>/score?node=..&score=..&ttl=..&id=..}.
     * The proxy accepts it only for a node URI of its dispatcher set whose host is this request's source address.
     */
    public CompletableFuture<RpcResult> score(URI endpoint, String nodeUri, int score, int ttlSeconds) {
        long id = nextId();
        return send(
                endpoint,
                "/score?node=" + nodeUri + "&score=" + score + "&ttl=" + ttlSeconds + "&id=" + id,
                HttpMethod.POST,
                null,
                id);
    }

    /** This PBX's dispatcher state, drained ({@code d}) or active ({@code ap}): {@code POST <endpoint>/state?...}. */
    public CompletableFuture<RpcResult> state(URI endpoint, String nodeUri, boolean drained) {
        long id = nextId();
        return send(
                endpoint,
                "/state?node=" + nodeUri + "&drain=" + (drained ? 1 : 0) + "&id=" + id,
                HttpMethod.POST,
                null,
                id);
    }

    /** The proxy's {@code dispatcher.list} answer: {@code GET <endpoint>/list?id=..}. */
    public CompletableFuture<RpcResult> list(URI endpoint) {
        long id = nextId();
        return send(endpoint, "/list?id=" + id, HttpMethod.GET, null, id);
    }

    /** The proxy takes ids of up to 9 digits. */
    private long nextId() {
        return 1 + Math.floorMod(ids.incrementAndGet(), 999_999_999L);
    }

    private CompletableFuture<RpcResult> send(
            URI endpoint, String pathAndQuery, HttpMethod method, String json, long id) {
        Request request;
        try {
            String base = endpoint.toString();
            URI url = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + pathAndQuery);
            request = http.newRequest(url).method(method).timeout(requestTimeoutMs, TimeUnit.MILLISECONDS);
            if (json != null) {
                request.body(new StringRequestContent("application/json", json));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new RpcResult(
                    RpcResult.Outcome.UNREACHABLE, null, 0, "bad URL " + endpoint + ": " + e.getMessage()));
        }
        return new CompletableResponseListener(request, MAX_RESPONSE_BYTES)
                .send()
                .handle((response, failure) -> failure != null ? failed(failure) : parse(response, id));
    }

    /** Operator JSON-RPC: calls {@code method} with positional {@code params} (String, Integer/Long, Boolean). */
    public CompletableFuture<RpcResult> call(URI url, String method, Object... params) {
        ObjectNode req = JSON.createObjectNode();
        req.put("jsonrpc", "2.0");
        req.put("method", method);
        ArrayNode p = req.putArray("params");
        for (Object o : params) {
            if (o instanceof Integer i) {
                p.add(i);
            } else if (o instanceof Long l) {
                p.add(l);
            } else if (o instanceof Boolean b) {
                p.add(b);
            } else {
                p.add(String.valueOf(o));
            }
        }
        long id = nextId();
        req.put("id", id);
        return send(url, "", HttpMethod.POST, req.toString(), id);
    }

    static RpcResult parse(ContentResponse response, long id) {
        int status = response.getStatus();
        String body = response.getContentAsString();
        JsonNode doc;
        try {
            doc = JSON.readTree(body);
        } catch (IOException e) {
            doc = null;
        }
        if (doc == null || !doc.isObject() || !"2.0".equals(doc.path("jsonrpc").asText())) {
            if (status >= 400) {
                return new RpcResult(
                        RpcResult.Outcome.HTTP_ERROR, null, status, "HTTP " + status + " " + oneLine(body));
            }
            return new RpcResult(
                    RpcResult.Outcome.BAD_RESPONSE, null, status, "not a JSON-RPC 2.0 answer: " + oneLine(body));
        }
        // Kamailio answers JSON-RPC errors with HTTP 500 and an error object: the object is the truth.
        JsonNode error = doc.get("error");
        if (error != null && !error.isNull()) {
            return new RpcResult(
                    RpcResult.Outcome.RPC_ERROR,
                    null,
                    status,
                    error.path("code").asInt() + " " + error.path("message").asText(oneLine(error.toString())));
        }
        if (doc.path("id").asLong(-1) != id) {
            return new RpcResult(
                    RpcResult.Outcome.BAD_RESPONSE, null, status, "answer for id " + doc.path("id") + ", asked " + id);
        }
        if (!doc.has("result")) {
            return new RpcResult(RpcResult.Outcome.BAD_RESPONSE, null, status, "JSON-RPC answer without result");
        }
        return new RpcResult(RpcResult.Outcome.OK, doc.get("result"), status, "");
    }

    private static RpcResult failed(Throwable failure) {
        Throwable t =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof TimeoutException) {
            return new RpcResult(RpcResult.Outcome.TIMEOUT, null, 0, "no answer in time");
        }
        if (t instanceof ConnectException || t instanceof ClosedChannelException || t instanceof IOException) {
            return new RpcResult(RpcResult.Outcome.UNREACHABLE, null, 0, oneLine(String.valueOf(t.getMessage())));
        }
        return new RpcResult(RpcResult.Outcome.UNREACHABLE, null, 0, oneLine(t.toString()));
    }

    private static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // Stopping only releases sockets and threads; nothing to report.
        }
    }
}
