package org.pbxagent.agent.http;

import java.nio.charset.StandardCharsets;
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
import org.pbxagent.agent.DrainControl;
import org.pbxagent.agent.DrainState;
import org.pbxagent.agent.config.Secret;
import org.pbxagent.agent.lifecycle.StatusBoard;
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

    private final StatusBoard board;
    private final Supplier<String> metrics;
    private final Supplier<DrainControl> drain;
    private final Secret adminToken;

    AdminHandler(StatusBoard board, Supplier<String> metrics, Supplier<DrainControl> drain, Secret adminToken) {
        this.board = board;
        this.metrics = metrics;
        this.drain = drain;
        this.adminToken = adminToken;
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
                        send(response, callback, 200, JSON, Json.write(Map.of("live", true,
                                "state", board.state().name().toLowerCase(Locale.ROOT))));
                    }
                }
                case "/status" -> {
                    if (allow(method, "GET", response, callback)) {
                        send(response, callback, 200, JSON, Json.write(board.snapshot()));
                    }
                }
                case "/metrics" -> {
                    if (allow(method, "GET", response, callback)) {
                        send(response, callback, 200, PROMETHEUS, metrics.get());
                    }
                }
                case "/drain", "/undrain" -> {
                    if (allow(method, "POST", response, callback) && authorised(request, response, callback)) {
                        drainOrUndrain(path.equals("/drain"), request, response, callback);
                    }
                }
                case "/" -> {
                    if (allow(method, "GET", response, callback)) {
                        send(response, callback, 200, HTML, StatusPage.render(board.snapshot()));
                    }
                }
                default -> send(response, callback, 404, JSON, Json.write(Map.of("error", "not found",
                        "endpoints", List.of("/", "/health", "/health/live", "/status", "/metrics",
                                "POST /drain", "POST /undrain"))));
            }
        } catch (RuntimeException e) {
            log.warn("HTTP {} {} failed: {}", method, path, e.toString());
            send(response, callback, 500, JSON, Json.write(Map.of("error", String.valueOf(e.getMessage()))));
        }
        return true;
    }

    private void drainOrUndrain(boolean drainIt, Request request, Response response, Callback callback) {
        Fields q = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        DrainState state;
        if (drainIt) {
            String reason = q.getValue("reason");
            reason = reason == null || reason.isBlank() ? "admin request" : reason.strip();
            if (reason.length() > MAX_REASON || reason.chars().anyMatch(Character::isISOControl)) {
                send(response, callback, 400, JSON, Json.write(Map.of("error",
                        "reason must be at most " + MAX_REASON + " printable characters")));
                return;
            }
            String forceText = q.getValue("force");
            boolean force = "true".equalsIgnoreCase(forceText) || "1".equals(forceText);
            log.info("drain requested over HTTP from {} (reason: {}, force: {})",
                    Request.getRemoteAddr(request), reason, force);
            state = drain.get().drain(reason, force);
        } else {
            log.info("undrain requested over HTTP from {}", Request.getRemoteAddr(request));
            state = drain.get().undrain();
        }
        send(response, callback, 200, JSON, Json.write(state));
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
        log.warn("refused {} {} from {}: {}", request.getMethod(), Request.getPathInContext(request),
                Request.getRemoteAddr(request), header == null ? "no token" : "wrong token");
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"pbx-agent\"");
        send(response, callback, 401, JSON, Json.write(Map.of("error",
                "admin token required: Authorization: Bearer <http.admin-token>")));
        return false;
    }

    private static boolean allow(String method, String allowed, Response response, Callback callback) {
        if (allowed.equals(method) || ("GET".equals(allowed) && "HEAD".equals(method))) {
            return true;
        }
        response.getHeaders().put(HttpHeader.ALLOW, allowed);
        send(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, JSON,
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
