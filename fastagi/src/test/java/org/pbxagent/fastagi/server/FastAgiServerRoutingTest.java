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
import org.pbxagent.fastagi.routing.RoutingSnapshot;

/** The server with the real routing scripts over the sample data, and many sessions at once. */
class FastAgiServerRoutingTest {
    @Test
    void realRouteScriptAnswersTheRecordedCallWithActionLast() throws Exception {
        CallRouter router = new CallRouter(new CallRouter.State(RoutingSnapshot.build(SampleRoutingData.data()), false),
                Clock.systemUTC());
        try (FastAgiServer server = new FastAgiServer(FastAgiServerSettings.defaults().withPort(0),
                Map.of("route", router::route, "outbound", router::outbound, "next", router::next))) {
            server.start();
            AgiCallResult r = new AgiCallClient().call("127.0.0.1", server.port(), "route?tenant=acme&did=100",
                    Map.of("callerid", "5551234", "dnid", "100", "context", "from-kamailio", "extension", "100"),
                    List.of("arg1", "arg two"), Duration.ofSeconds(5));
            assertEquals("DIAL", r.variable("ROUTE_ACTION"));
            assertEquals("SIP/1001", r.variable("ROUTE_TARGET"));
            List<Map.Entry<String, String>> set = r.variablesSet();
            assertEquals("ROUTE_ACTION", set.get(set.size() - 1).getKey(), "the action is the last variable set");
            assertEquals(1, server.sessionsServed());
        }
    }

    @Test
    void thousandHeldSessionsShareTwoSelectorThreads() throws Exception {
        List<java.net.Socket> held = new ArrayList<>();
        try (FastAgiServer server = new FastAgiServer(FastAgiServerSettings.defaults().withPort(0).withSelectorThreads(2)
                .withReplyTimeout(Duration.ofSeconds(30)), Map.of())) {
            server.register(HoldScript.NAME, new HoldScript(Duration.ofSeconds(5)));
            server.start();
            byte[] env = AgiCallClient.environmentBlock("127.0.0.1", server.port(), "hold?ms=60000", Map.of(), List.of());
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
                for (java.net.Socket s : held) s.getOutputStream().write("200 result=0\n200 result=1\n".getBytes());
                for (java.net.Socket s : held) {
                    assertEquals("SET VARIABLE HOLD_RESULT \"0\"\n", AsteriskReplayPeer.readLine(s.getInputStream()));
                    assertEquals(-1, s.getInputStream().read());
                }
            } finally {
                for (java.net.Socket s : held) s.close();
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(5)));
            assertEquals(1000, server.sessionsServed());
        }
    }

    @Test
    void concurrentSessionsNeverMixAnswers() throws Exception {
        try (FastAgiServer server = new FastAgiServer(FastAgiServerSettings.defaults().withPort(0).withSelectorThreads(2),
                Map.of("echo", req -> RouteDecision.builder().set("ROUTE_TARGET", "PJSIP/" + req.parameter("n"))
                        .set("ROUTE_CALLER", req.callerIdNumber()).set("ROUTE_ACTION", "DIAL").build()))) {
            server.start();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 800; i++) {
                    int n = i;
                    results.add(pool.submit(() -> {
                        AgiCallResult r = new AgiCallClient().call("127.0.0.1", server.port(), "echo?n=" + n,
                                Map.of("callerid", "c" + n), List.of(), Duration.ofSeconds(10));
                        return ("PJSIP/" + n).equals(r.variable("ROUTE_TARGET")) && ("c" + n).equals(r.variable("ROUTE_CALLER"));
                    }));
                }
                for (Future<Boolean> f : results) assertTrue(f.get());
            } finally {
                pool.shutdownNow();
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(5)));
            assertEquals(800, server.sessionsServed());
        }
    }
}
