package org.pbxagent.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.pbxagent.agent.config.Secret;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.StatusBoard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the few endpoints of the admin API. Everything is answered from memory; only drain/undrain may take longer
 * (the balancer's own bounded pushes).
 */
final class AdminHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final String JSON = "application/json; charset=utf-8";
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final String HTML = "text/html; charset=utf-8";
    private static final int MAX_REASON = 200;

    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** The metrics text in the format asked for; {@code openMetrics} when the scraper accepts OpenMetrics. */
    interface Exposition {
        String scrape(boolean openMetrics);
    }

    private final StatusBoard board;
    private final Exposition metrics;
    private final StatusHistory history;
    private final Supplier<DrainSwitch> drain;
    private final Secret adminToken;
    private final Secret readToken;

    /** @param readToken empty: /status, /metrics and / are open; else they need it or the admin token */
    AdminHandler(
            StatusBoard board,
            Exposition metrics,
            StatusHistory history,
            Supplier<DrainSwitch> drain,
            Secret adminToken,
            Secret readToken) {
        this.board = board;
        this.metrics = metrics;
        this.history = history;
        this.drain = drain;
        this.adminToken = adminToken;
        this.readToken = readToken;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        try {
            switch (path) {
                case "/health", "/health/ready" -> {
                    if (allow(method, "GET", response, callback)) {
                        StatusBoard.HealthReport h = board.healthReport();
                        send(response, callback, h.ready() ? 200 : 503, JSON, Json.write(h.asMap()));
                    }
                }
                case "/health/live" -> {
                    if (allow(method, "GET", response, callback)) {
                        // The pid lets a resource agent check that the daemon it started is the one answering.
                        send(
                                response,
                                callback,
                                200,
                                JSON,
                                Json.write(Map.of(
                                        "live",
                                        true,
                                        "state",
                                        board.state().name().toLowerCase(Locale.ROOT),
                                        "pid",
                                        ProcessHandle.current().pid())));
                    }
                }
                case "/status" -> {
                    if (allow(method, "GET", response, callback) && mayRead(request, response, callback)) {
                        send(response, callback, 200, JSON, Json.write(status()));
                    }
                }
                case "/metrics" -> {
                    if (allow(method, "GET", response, callback) && mayRead(request, response, callback)) {
                        // OpenMetrics only when asked for, as Prometheus does when it prefers it.
                        String accept = request.getHeaders().get(HttpHeader.ACCEPT);
                        boolean om = accept != null && accept.contains("application/openmetrics-text");
                        send(response, callback, 200, om ? OPENMETRICS : PROMETHEUS, metrics.scrape(om));
                    }
                }
                case "/drain", "/undrain" -> {
                    if (allow(method, "POST", response, callback) && authorised(request, response, callback)) {
                        drainOrUndrain(path.equals("/drain"), request, response, callback);
                    }
                }
                case "/" -> {
                    if (allow(method, "GET", response, callback) && mayRead(request, response, callback)) {
                        send(
                                response,
                                callback,
                                200,
                                HTML,
                                StatusPage.render(
                                        status(), history == null ? List.of() : history.points(), Instant.now()));
                    }
                }
                default ->
                    send(
                            response,
                            callback,
                            404,
                            JSON,
                            Json.write(Map.of(
                                    "error",
                                    "not found",
                                    "endpoints",
                                    List.of(
                                            "/",
                                            "/health",
                                            "/health/live",
                                            "/status",
                                            "/metrics",
                                            "POST /drain",
                                            "POST /undrain"))));
            }
        } catch (RuntimeException e) {
            log.warn("HTTP {} {} failed: {}", method, path, e.toString());
            send(response, callback, 500, JSON, Json.write(Map.of("error", String.valueOf(e.getMessage()))));
        }
        return true;
    }

    /** /status: the summary first, then every section (one JSON tree, one naming style). */
    private ObjectNode status() {
        JsonNode tree = Json.mapper().valueToTree(board.snapshot());
        ObjectNode out = Json.mapper().createObjectNode();
        out.set("summary", StatusSummary.of(tree, Instant.now()));
        out.setAll((ObjectNode) tree);
        return out;
    }

    private void drainOrUndrain(boolean drainIt, Request request, Response response, Callback callback) {
        Fields q = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        DrainState state;
        if (drainIt) {
            String reason = q.getValue("reason");
            reason = reason == null || reason.isBlank() ? "admin request" : reason.strip();
            if (reason.length() > MAX_REASON || reason.chars().anyMatch(Character::isISOControl)) {
                send(
                        response,
                        callback,
                        400,
                        JSON,
                        Json.write(Map.of("error", "reason must be at most " + MAX_REASON + " printable characters")));
                return;
            }
            String forceText = q.getValue("force");
            boolean force = "true".equalsIgnoreCase(forceText) || "1".equals(forceText);
            log.info(
                    "drain requested over HTTP from {} (reason: {}, force: {})",
                    Request.getRemoteAddr(request),
                    reason,
                    force);
            state = drain.get().drain(reason, force);
        } else {
            log.info("undrain requested over HTTP from {}", Request.getRemoteAddr(request));
            state = drain.get().undrain();
        }
        // 409 when the node is not where it was asked to be (a drain refused for the last active PBX, an undrain
        // while an automatic drain holds), so `curl -f` and scripts see it; the body is the state either way.
        send(response, callback, state.drained() == drainIt ? 200 : 409, JSON, Json.write(state));
    }

    /**
     * The read token (or the admin token) as {@code Authorization: Bearer T}, or as the password of Basic
     * authentication, which is what lets a browser open the status page (it asks once and re-sends it).
     */
    private boolean mayRead(Request request, Response response, Callback callback) {
        if (readToken.isEmpty()) {
            return true;
        }
        String token = presentedToken(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (token != null && (readToken.matches(token) || (!adminToken.isEmpty() && adminToken.matches(token)))) {
            return true;
        }
        log.warn(
                "refused {} {} from {}: {}",
                request.getMethod(),
                Request.getPathInContext(request),
                Request.getRemoteAddr(request),
                token == null ? "no read token" : "wrong read token");
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"pbx-agent\"");
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"pbx-agent\", charset=\"UTF-8\"");
        send(
                response,
                callback,
                401,
                JSON,
                Json.write(
                        Map.of(
                                "error",
                                "read token required: Authorization: Bearer <http.read-token>, or Basic with it as the password")));
        return false;
    }

    /** The token of a Bearer header, or the password of a Basic one; null when neither. */
    static String presentedToken(String header) {
        if (header == null) {
            return null;
        }
        if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).strip();
        }
        if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(
                        java.util.Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                return colon < 0 ? null : pair.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private boolean authorised(Request request, Response response, Callback callback) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String token = null;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = header.substring(7).strip();
        }
        if (token != null && !adminToken.isEmpty() && adminToken.matches(token)) {
            return true;
        }
        log.warn(
                "refused {} {} from {}: {}",
                request.getMethod(),
                Request.getPathInContext(request),
                Request.getRemoteAddr(request),
                header == null ? "no token" : "wrong token");
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"pbx-agent\"");
        send(
                response,
                callback,
                401,
                JSON,
                Json.write(Map.of("error", "admin token required: Authorization: Bearer <http.admin-token>")));
        return false;
    }

    private static boolean allow(String method, String allowed, Response response, Callback callback) {
        if (allowed.equals(method) || ("GET".equals(allowed) && "HEAD".equals(method))) {
            return true;
        }
        response.getHeaders().put(HttpHeader.ALLOW, allowed);
        send(
                response,
                callback,
                HttpStatus.METHOD_NOT_ALLOWED_405,
                JSON,
                Json.write(Map.of("error", "method " + method + " not allowed, use " + allowed)));
        return false;
    }

    private static void send(Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, body, callback);
    }
}
