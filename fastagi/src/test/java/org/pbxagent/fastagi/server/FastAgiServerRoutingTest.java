package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.routing.CallRouter;
import org.pbxagent.fastagi.routing.RoutingCompiler;

/** The server with the real routing scripts over the sample data, and many sessions at once. */
class FastAgiServerRoutingTest {
    @Test
    void realRouteScriptAnswersTheRecordedCallWithActionLast() throws Exception {
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false), Clock.systemUTC());
        try (FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0),
                Map.of("route", router::route, "outbound", router::outbound, "next", router::next))) {
            server.start();
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            server.port(),
                            "route?tenant=acme&did=100",
                            Map.of(
                                    "callerid",
                                    "5551234",
                                    "dnid",
                                    "100",
                                    "context",
                                    "from-kamailio",
                                    "extension",
                                    "100"),
                            List.of("arg1", "arg two"),
                            Duration.ofSeconds(5));
            assertEquals("DIAL", r.variable("ROUTE_ACTION"));
            assertEquals("SIP/1001", r.variable("ROUTE_TARGET"));
            List<Map.Entry<String, String>> set = r.variablesSet();
            assertEquals("ROUTE_ACTION", set.get(set.size() - 1).getKey(), "the action is the last variable set");
            assertEquals(1, server.sessionsServed());
        }
    }

    /**
     * Every script through the res_agi-faithful client: one round trip per decision, and the step holds the channel
     * for far less than the reply timeout (a server that pipelined would hold it for the whole timeout).
     */
    @Test
    void everyScriptAnswersInItsRoundTripsWithoutStalling() throws Exception {
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false), Clock.systemUTC());
        Duration replyTimeout = Duration.ofSeconds(5);
        try (FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0).withReplyTimeout(replyTimeout),
                Map.of("route", router::route, "outbound", router::outbound, "next", router::next))) {
            server.register(HoldScript.NAME, new HoldScript(Duration.ofSeconds(1)));
            server.start();
            Map<String, Integer> roundTrips = new java.util.LinkedHashMap<>();
            roundTrips.put("route?tenant=acme&did=100", 1); // extension with a call limit
            roundTrips.put("route?tenant=acme&did=200", 1); // time condition
            roundTrips.put("outbound?tenant=acme&ext=1001&number=0301234", 1); // trunk, caller ID
            roundTrips.put("next?tenant=acme&step=ext:1001&dialstatus=BUSY", 1);
            roundTrips.put("next?tenant=acme&step=out:pstn:0:0301234&dialstatus=CHANUNAVAIL", 1);
            roundTrips.put("nosuch", 1); // fault answer
            roundTrips.put("hold?ms=20", 2); // WAIT FOR DIGIT, then SET VARIABLE
            for (Map.Entry<String, Integer> e : roundTrips.entrySet()) {
                AgiCallResult r = new AgiCallClient()
                        .call(
                                "127.0.0.1",
                                server.port(),
                                e.getKey(),
                                Map.of("callerid", "5551234"),
                                List.of(),
                                Duration.ofSeconds(20));
                assertEquals(e.getValue(), r.roundTrips(), e.getKey() + ": " + r.commands());
                assertTrue(
                        r.holdNanos() < replyTimeout.toNanos() / 2,
                        e.getKey() + " held the channel " + r.holdNanos() / 1_000_000 + " ms");
                String action = r.variable(e.getKey().startsWith("hold") ? "HOLD_RESULT" : "ROUTE_ACTION");
                assertTrue(action != null && (e.getKey().startsWith("hold") || !action.isEmpty()), e.getKey());
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(6, server.sessionsServed(), "every session but the unknown script's was served");
            assertEquals(0, server.sessionsTimedOut());
            assertEquals(8, server.commandsSent());
        }
    }

    @Test
    void thousandHeldSessionsShareTwoSelectorThreads() throws Exception {
        List<java.net.Socket> held = new ArrayList<>();
        try (FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults()
                        .withPort(0)
                        .withSelectorThreads(2)
                        .withReplyTimeout(Duration.ofSeconds(30)),
                Map.of())) {
            server.register(HoldScript.NAME, new HoldScript(Duration.ofSeconds(5)));
            server.start();
            byte[] env =
                    AgiCallClient.environmentBlock("127.0.0.1", server.port(), "hold?ms=60000", Map.of(), List.of());
            try {
                for (int i = 0; i < 1000; i++) {
                    java.net.Socket s = new java.net.Socket("127.0.0.1", server.port());
                    held.add(s);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(env);
                }
                for (java.net.Socket s : held) {
                    assertEquals("WAIT FOR DIGIT 60000\n", AsteriskReplayPeer.readLine(s.getInputStream()));
                }
                assertEquals(1000, server.sessionsInFlight());
                assertEquals(2, FastAgiServerFaultTest.selectorThreads(), "no thread per session");
                for (java.net.Socket s : held) {
                    s.getOutputStream()
                            .write("200 result=0\n200 result=1\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
                for (java.net.Socket s : held) {
                    assertEquals("SET VARIABLE HOLD_RESULT \"0\"\n", AsteriskReplayPeer.readLine(s.getInputStream()));
                    assertEquals(-1, s.getInputStream().read());
                }
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(5)));
            assertEquals(1000, server.sessionsServed());
        }
    }

    @Test
    void concurrentSessionsNeverMixAnswers() throws Exception {
        try (FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0).withSelectorThreads(2),
                Map.of(
                        "echo",
                        req -> RouteDecision.builder()
                                .set("ROUTE_TARGET", "PJSIP/" + req.parameter("n"))
                                .set("ROUTE_CALLER", req.callerIdNumber())
                                .set("ROUTE_ACTION", "DIAL")
                                .build()))) {
            server.start();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 800; i++) {
                    int n = i;
                    results.add(pool.submit(() -> {
                        AgiCallResult r = new AgiCallClient()
                                .call(
                                        "127.0.0.1",
                                        server.port(),
                                        "echo?n=" + n,
                                        Map.of("callerid", "c" + n),
                                        List.of(),
                                        Duration.ofSeconds(10));
                        return ("PJSIP/" + n).equals(r.variable("ROUTE_TARGET"))
                                && ("c" + n).equals(r.variable("ROUTE_CALLER"));
                    }));
                }
                for (Future<Boolean> f : results) {
                    assertTrue(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(5)));
            assertEquals(800, server.sessionsServed());
        }
    }
}
