package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.load.NodeLoad;

/**
 * Per-Kamailio pushes: a held push makes no queue (the newest score replaces what was not sent), a held Kamailio does
 * not hold the others, and the drain state goes first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KamailioLinkTest {
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private KamailioRpc rpc;

    /**
     * A peer of the proxy's agent endpoint that records each request as "action fields" (id left out) and answers
     * in the proxy's JSON-RPC form; {@code hold} delays its answers.
     */
    private record Peer(HttpServer server, List<String> calls, CountDownLatch hold) {
        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/pbx");
        }
    }

    private Peer peer(boolean held) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        s.setExecutor(Executors.newFixedThreadPool(4));
        List<String> calls = new CopyOnWriteArrayList<>();
        CountDownLatch hold = new CountDownLatch(held ? 1 : 0);
        s.createContext("/pbx", ex -> {
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery();
            String id = query.replaceAll(".*id=([0-9]+)$", "$1");
            calls.add(ex.getRequestMethod() + " " + path.substring(path.lastIndexOf('/') + 1) + " "
                    + query.replaceAll("&?id=[0-9]+$", ""));
            try {
                hold.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] b = ("{\"jsonrpc\":\"2.0\",\"result\":\"Ok\",\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        servers.add(s);
        return new Peer(s, calls, hold);
    }

    @AfterEach
    void stop() {
        if (rpc != null) {
            rpc.close();
        }
        servers.forEach(s -> s.stop(0));
    }

    /** start() also reads dispatcher.list once (node URI check): count the score pushes only. */
    private static long scorePushes(Peer p) {
        return p.calls().stream().filter(c -> c.startsWith("POST score")).count();
    }

    private static NodeLoad load(int score) {
        return new NodeLoad(true, "", 1, 2, 100, 0.1, 0.2, 0, score, Instant.now());
    }

    private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 200 && !c.getAsBoolean(); i++) {
            Thread.sleep(25);
        }
        assertTrue(c.getAsBoolean(), what);
    }

    @Test
    void heldKamailioGetsOnlyTheNewestScoreAndDoesNotHoldTheOther() throws Exception {
        Peer held = peer(true);
        Peer free = peer(false);
        rpc = new KamailioRpc(null, Duration.ofMillis(500), Duration.ofSeconds(10));
        BalancerTarget t =
                new BalancerTarget(1, "sip:10.0.0.21:5060", "pbxload", "sip:10.0.0.21:5060", Duration.ofSeconds(3));
        try (LoadReporter reporter = new LoadReporter(
                List.of(held.url(), free.url()),
                t,
                rpc,
                Duration.ofMinutes(10),
                Duration.ofMinutes(10),
                Clock.systemUTC())) {
            reporter.onLoad(load(10));
            await("first push reaches the held peer", () -> held.calls().size() == 1);
            for (int s = 11; s <= 60; s++) {
                reporter.onLoad(load(s));
            }
            // The free peer got the newest score while the held one still holds its first request.
            await(
                    "free peer has the newest score",
                    () -> !free.calls().isEmpty()
                            && free.calls()
                                    .get(free.calls().size() - 1)
                                    .equals("POST score node=sip:10.0.0.21:5060&score=60&ttl=3"));
            assertEquals(1, held.calls().size(), "nothing queued behind the held request");

            held.hold().countDown();
            await("held peer catches up with one push", () -> held.calls().size() == 2);
            Thread.sleep(200);
            assertEquals(
                    List.of(
                            "POST score node=sip:10.0.0.21:5060&score=10&ttl=3",
                            "POST score node=sip:10.0.0.21:5060&score=60&ttl=3"),
                    held.calls());
        }
    }

    @Test
    void drainStateGoesBeforeAPendingScoreAndIsConfirmed() throws Exception {
        Peer p = peer(false);
        rpc = new KamailioRpc(null, Duration.ofMillis(500), Duration.ofSeconds(2));
        BalancerTarget t = new BalancerTarget(7, "sip:10.0.0.21:5060", "pbxload", "pbx1", Duration.ofSeconds(3));
        try (LoadReporter reporter = new LoadReporter(
                List.of(p.url()), t, rpc, Duration.ofMinutes(10), Duration.ofMinutes(10), Clock.systemUTC())) {
            var results = reporter.pushState(true).get(5, TimeUnit.SECONDS);
            assertTrue(results.get(p.url()).ok());
            assertEquals("POST state node=sip:10.0.0.21:5060&drain=1", p.calls().get(0));
            reporter.pushState(false).get(5, TimeUnit.SECONDS);
            assertEquals("POST state node=sip:10.0.0.21:5060&drain=0", p.calls().get(1));
            var status = reporter.status().get(0);
            assertEquals("ok", status.get("last_result"));
            assertEquals(2L, status.get("pushes"));
        }
    }

    @Test
    void staleScoreIsNotResentSoItExpiresInKamailio() throws Exception {
        Peer p = peer(false);
        rpc = new KamailioRpc(null, Duration.ofMillis(500), Duration.ofSeconds(2));
        BalancerTarget t = new BalancerTarget(1, "sip:10.0.0.21:5060", "pbxload", "pbx1", Duration.ofSeconds(1));
        try (LoadReporter reporter = new LoadReporter(
                List.of(p.url()), t, rpc, Duration.ofMillis(300), Duration.ofMinutes(10), Clock.systemUTC())) {
            reporter.start();
            // A sample from 5 s ago: older than its TTL, so no periodic re-send may keep it alive.
            reporter.onLoad(new NodeLoad(
                    true, "", 1, 2, 100, 0.1, 0.2, 0, 40, Instant.now().minusSeconds(5)));
            await("the sample itself is pushed once", () -> scorePushes(p) == 1);
            Thread.sleep(1000);
            assertEquals(1, scorePushes(p), "re-sends: " + p.calls());

            reporter.onLoad(load(41));
            await("a fresh sample is pushed and re-sent", () -> scorePushes(p) >= 3);
        }
    }
}
