package org.pbxagent.fastagi.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.server.FastAgiServer;
import org.pbxagent.fastagi.server.FastAgiServerSettings;
import org.pbxagent.fastagi.server.RecordedAgiSessions;

class AgiCallClientTest {
    /** The per-run values of the recorded route session; everything else comes from the client itself. */
    private static Map<String, String> recordedPerRunValues() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("channel", "SIP/127.0.0.1-00000005");
        env.put("uniqueid", "1795544721.5");
        env.put("callerid", "5551234");
        env.put("calleridname", "sipp");
        env.put("dnid", "100");
        env.put("context", "from-kamailio");
        env.put("extension", "100");
        env.put("priority", "3");
        env.put("threadid", "140558018029248");
        return env;
    }

    @Test
    void environmentBlockEqualsTheRecordedBytes() {
        byte[] recorded =
                RecordedAgiSessions.session("route?tenant=acme&did=100").environmentBlock();
        byte[] ours = AgiCallClient.environmentBlock(
                "127.0.0.1", 4573, "route?tenant=acme&did=100", recordedPerRunValues(), List.of("arg1", "arg two"));
        assertEquals(new String(recorded, StandardCharsets.UTF_8), new String(ours, StandardCharsets.UTF_8));
        assertArrayEquals(recorded, ours);
    }

    @Test
    void callPrintsTheDecisionAndTranscript() throws Exception {
        try (FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0),
                Map.of(
                        "route",
                        req -> RouteDecision.builder()
                                .set("ROUTE_ACTION", "DIAL")
                                .set("ROUTE_TARGET", "SIP/1001")
                                .build()))) {
            server.start();
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            server.port(),
                            "route?tenant=acme&did=100",
                            recordedPerRunValues(),
                            List.of("arg1", "arg two"),
                            Duration.ofSeconds(5));
            assertEquals(
                    List.of(Map.entry("ROUTE_ACTION", "DIAL"), Map.entry("ROUTE_TARGET", "SIP/1001")),
                    r.variablesSet());
            assertTrue(r.transcript().contains("A> agi_network_script: route?tenant=acme&did=100\n"));
            assertTrue(
                    r.transcript()
                            .endsWith("S> EXEC MSet \"ROUTE_ACTION=DIAL,ROUTE_TARGET=SIP/1001\"\nA> 200 result=0\n"),
                    r.transcript());
            assertEquals(1, r.roundTrips());
        }
    }

    @Test
    void answersLikeAsterisk() {
        Map<String, String> vars = Map.of("X", "1");
        assertEquals("200 result=1", AgiCallClient.defaultReply("SET VARIABLE A \"b\"", vars));
        assertTrue(AgiCallClient.defaultReply("SET VARIABLE", vars).startsWith("520-Invalid command syntax."));
        assertEquals("200 result=1 (1)", AgiCallClient.defaultReply("GET VARIABLE X", vars));
        assertEquals("200 result=0", AgiCallClient.defaultReply("GET VARIABLE NOSUCHVAR", vars));
        assertEquals("510 Invalid or unknown command", AgiCallClient.defaultReply("NOSUCHCOMMAND foo", vars));
        assertEquals("200 result=1", AgiCallClient.defaultReply("VERBOSE \"hello from agi\" 1", vars));
    }

    @Test
    @SuppressWarnings("try") // the accepted socket is not read: it is held open and silent
    void silentServerTimesOut() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = ss.accept()) {
                    Thread.sleep(1500);
                } catch (IOException | InterruptedException e) {
                    // test ends
                }
            });
            t.start();
            long t0 = System.nanoTime();
            assertThrows(
                    SocketTimeoutException.class,
                    () -> new AgiCallClient()
                            .call(
                                    "127.0.0.1",
                                    ss.getLocalPort(),
                                    "route",
                                    Map.of(),
                                    List.of(),
                                    Duration.ofMillis(300)));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 1200);
            t.join(3000);
        }
    }

    @Test
    void refusedConnectionIsAnIOException() throws Exception {
        int port;
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        assertThrows(
                IOException.class,
                () -> new AgiCallClient().call("127.0.0.1", port, "route", Map.of(), List.of(), Duration.ofSeconds(1)));
    }
}
