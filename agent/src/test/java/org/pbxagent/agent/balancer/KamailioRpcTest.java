package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every kind of answer becomes a clear {@link RpcResult}, and the call never throws or hangs. The HTTP peer here
 * answers in the formats Kamailio 5.6's jsonrpcs and xhttp produce (checked against a real Kamailio in
 * KamailioBalancerIT); it also plays the cases a real Kamailio cannot be made to produce on demand.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KamailioRpcTest {
    private HttpServer server;
    private KamailioRpc rpc;
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile String lastBody = "";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/ok", ex -> {
            lastBody = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            long id = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                    .build()
                    .readTree(lastBody)
                    .path("id")
                    .asLong();
            reply(
                    ex,
                    200,
                    "{\n\t\"jsonrpc\":\t\"2.0\",\n\t\"result\":\t\"Ok. Key set to new value.\",\n\t\"id\":\t" + id
                            + "\n}");
        });
        server.createContext("/pbx", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            lastBody = ex.getRequestMethod() + " " + ex.getRequestURI() + " body=" + body.length;
            String id = ex.getRequestURI().getRawQuery().replaceAll(".*id=([0-9]+)$", "$1");
            reply(ex, 200, "{\"jsonrpc\":\"2.0\",\"result\":\"Ok\",\"id\":" + id + "}");
        });
        server.createContext(
                "/rpc-error",
                ex -> reply(
                        ex,
                        500,
                        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":500,\"message\":\"State Update Failed\"},\"id\":1}"));
        server.createContext("/forbidden", ex -> reply(ex, 403, "not a PBX of this proxy\n"));
        server.createContext("/html", ex -> reply(ex, 200, "<html>proxy login</html>"));
        server.createContext("/wrong-id", ex -> reply(ex, 200, "{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":999999}"));
        server.createContext("/slow", ex -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(ex, 200, "{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":1}");
        });
        server.start();
        rpc = new KamailioRpc(null, Duration.ofMillis(500), Duration.ofMillis(700));
    }

    @AfterEach
    void stop() {
        release.countDown();
        rpc.close();
        server.stop(0);
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void resultIsReturnedAndParamsArePositionalWithTheirJsonTypes() throws Exception {
        RpcResult r = rpc.call(url("/ok"), "htable.setxi", "pbxload", "sip:10.0.0.21:5060", 42, 3)
                .get();
        assertTrue(r.ok(), r.toString());
        assertEquals("Ok. Key set to new value.", r.result().asText());
        assertTrue(lastBody.contains("\"method\":\"htable.setxi\""), lastBody);
        assertTrue(lastBody.contains("\"params\":[\"pbxload\",\"sip:10.0.0.21:5060\",42,3]"), lastBody);
        assertTrue(lastBody.contains("\"jsonrpc\":\"2.0\""), lastBody);
    }

    @Test
    void agentRequestsHaveTheProxysFixedShapeWithEveryFieldInTheUrlAndNoBody() throws Exception {
        assertTrue(rpc.score(url("/pbx"), "sip:10.0.0.21:5060", 42, 3).get().ok());
        assertTrue(
                lastBody.matches("POST /pbx/score[?]node=sip:10[.]0[.]0[.]21:5060&score=42&ttl=3&id=[0-9]{1,9} body=0"),
                lastBody);
        assertTrue(rpc.state(url("/pbx/"), "sip:10.0.0.21:5060", true).get().ok());
        assertTrue(
                lastBody.matches("POST /pbx/state[?]node=sip:10[.]0[.]0[.]21:5060&drain=1&id=[0-9]{1,9} body=0"),
                lastBody);
        assertTrue(rpc.state(url("/pbx"), "sip:10.0.0.21:5060", false).get().ok());
        assertTrue(lastBody.contains("&drain=0&"), lastBody);
        assertTrue(rpc.list(url("/pbx")).get().ok());
        assertTrue(lastBody.matches("GET /pbx/list[?]id=[0-9]{1,9} body=0"), lastBody);
    }

    @Test
    void jsonRpcErrorObjectWinsOverTheHttpStatus() throws Exception {
        RpcResult r = rpc.call(url("/rpc-error"), "dispatcher.set_state", "d", 1, "sip:x")
                .get();
        assertEquals(RpcResult.Outcome.RPC_ERROR, r.outcome());
        assertEquals("500 State Update Failed", r.message());
        assertTrue(r.answered());
    }

    @Test
    void httpErrorWithoutJsonIsAnHttpError() throws Exception {
        RpcResult r = rpc.call(url("/forbidden"), "dispatcher.list").get();
        assertEquals(RpcResult.Outcome.HTTP_ERROR, r.outcome());
        assertEquals(403, r.httpStatus());
        assertTrue(r.message().contains("not a PBX"), r.message());
    }

    @Test
    void nonJsonOrForeignAnswersAreBadResponses() throws Exception {
        assertEquals(
                RpcResult.Outcome.BAD_RESPONSE,
                rpc.call(url("/html"), "dispatcher.list").get().outcome());
        RpcResult wrongId = rpc.call(url("/wrong-id"), "dispatcher.list").get();
        assertEquals(RpcResult.Outcome.BAD_RESPONSE, wrongId.outcome());
        assertTrue(wrongId.message().contains("999999"), wrongId.message());
    }

    @Test
    void silentPeerTimesOutAndClosedPortIsUnreachable() throws Exception {
        RpcResult slow = rpc.call(url("/slow"), "dispatcher.list").get(5, TimeUnit.SECONDS);
        assertEquals(RpcResult.Outcome.TIMEOUT, slow.outcome(), slow.toString());
        assertFalse(slow.answered());

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        RpcResult down = rpc.call(URI.create("http://127.0.0.1:" + closed + "/RPC"), "dispatcher.list")
                .get(5, TimeUnit.SECONDS);
        assertEquals(RpcResult.Outcome.UNREACHABLE, down.outcome(), down.toString());
    }

    @Test
    void destinationsAreReadFromARealDispatcherListAnswer() throws Exception {
        String recorded = new String(
                getClass()
                        .getResourceAsStream("/kamailio-5.6/dispatcher-list.json")
                        .readAllBytes(),
                StandardCharsets.UTF_8);
        var doc = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(recorded)
                .get("result");
        var dests = LoadReporter.destinations(doc, 1);
        assertEquals(2, dests.size());
        assertEquals("AP", dests.get("sip:127.0.0.3:15060"));
        assertEquals("DX", dests.get("sip:127.0.0.2:15060"));
        assertTrue(LoadReporter.destinations(doc, 2).isEmpty());
    }
}
