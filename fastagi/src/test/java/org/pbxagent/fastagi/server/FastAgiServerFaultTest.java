package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;

/** Bad input and misbehaving peers: each gets a bounded wait, a clear answer where one can be sent, a closed socket. */
class FastAgiServerFaultTest {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private final AtomicReference<AgiRequest> lastRequest = new AtomicReference<>();
    private final DecisionScript route = req -> {
        lastRequest.set(req);
        return RouteDecision.builder()
                .set("ROUTE_ACTION", "DIAL")
                .set("ROUTE_TARGET", "PJSIP/" + req.parameter("did"))
                .set("ROUTE_REASON", "did")
                .build();
    };
    private FastAgiServer server;

    @BeforeEach
    void start() throws IOException {
        server = start(FastAgiServerSettings.builder()
                .port(0)
                .selectorThreads(2)
                .environmentTimeout(Duration.ofMillis(300))
                .replyTimeout(Duration.ofMillis(500))
                .maxLineLength(1024)
                .maxEnvironmentLines(40)
                .build());
    }

    private FastAgiServer start(FastAgiServerSettings settings) throws IOException {
        Map<String, DecisionScript> scripts = Map.of(
                "route",
                route,
                "boom",
                req -> {
                    throw new IllegalStateException("snapshot missing");
                },
                "nulls",
                req -> null,
                "inject",
                req -> RouteDecision.builder()
                        .set("ROUTE_ACTION", "PLAYBACK")
                        .set("ROUTE_TARGET", "a\"b\\c\nEXEC System \"rm -rf /\"")
                        .build(),
                "badname",
                req -> RouteDecision.builder().set("ROUTE ACTION", "DIAL").build(),
                "toolong",
                req -> RouteDecision.builder()
                        .set("ROUTE_TARGET", "é".repeat(2100))
                        .set("ROUTE_ACTION", "DIAL")
                        .build());
        FastAgiServer s = new FastAgiServer(settings, scripts);
        s.register(HoldScript.NAME, new HoldScript(Duration.ofSeconds(1)));
        // Three commands queued at once: the session writes them lock-step all the same.
        s.register("three", ch -> {
            ch.send("ANSWER", r -> {});
            ch.send("NOOP", r -> {});
            ch.send("SET VARIABLE", r -> ch.finish());
        });
        s.start();
        return s;
    }

    @AfterEach
    void noLeaks() throws Exception {
        assertTrue(server.awaitIdle(Duration.ofSeconds(3)), "every session ends by itself");
        assertEquals(0, server.sessionsInFlight());
        int port = server.port();
        server.close();
        // Nothing of the server is left: no socket of this process on its port (listener or session), no selector
        // thread. Counted precisely so that other tests' background threads and sockets cannot make this flaky.
        long deadline = System.nanoTime() + 2_000_000_000L;
        while ((serverSockets(port) > 0 || selectorThreads() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, serverSockets(port), "sockets of this process still open on port " + port);
        assertEquals(0, selectorThreads(), "selector threads still running");
    }

    /** Sockets held by this process whose local port is {@code port} (fd -> inode -> /proc/net/tcp*). */
    static int serverSockets(int port) throws IOException {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            s.forEach(p -> {
                try {
                    String link = Files.readSymbolicLink(p).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring(8, link.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            });
        }
        String hexPort = String.format(":%04X", port);
        int n = 0;
        for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String l : Files.readAllLines(Path.of(f))) {
                String[] c = l.trim().split("\\s+");
                if (c.length > 9 && c[1].endsWith(hexPort) && inodes.contains(c[9])) {
                    n++;
                }
            }
        }
        return n;
    }

    static long selectorThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("fastagi-selector-") && t.isAlive())
                .count();
    }

    private AgiCallResult call(String script) throws IOException {
        return new AgiCallClient()
                .call("127.0.0.1", server.port(), script, Map.of("callerid", "5551234"), List.of(), CALL_TIMEOUT);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    /** Reads until the server closes; returns what it sent (a reset counts as closed). */
    private static String drain(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketException e) {
            // connection reset after the server closed with our junk unread
        }
        return sb.toString();
    }

    @Test
    void normalCallGetsTheDecision() throws Exception {
        AgiCallResult r = call("route?tenant=acme&did=100");
        assertEquals(Map.of("ROUTE_ACTION", "DIAL", "ROUTE_TARGET", "PJSIP/100", "ROUTE_REASON", "did"), r.variables());
        assertEquals(1, server.sessionsServed());
    }

    @Test
    void unknownScriptIsAnsweredHangupUnknownScript() throws Exception {
        AgiCallResult r = call("nosuch?x=1");
        assertEquals(
                List.of(Map.entry("ROUTE_REASON", "unknown-script"), Map.entry("ROUTE_ACTION", "HANGUP")),
                r.variablesSet());
        assertEquals(1, server.sessionsUnknownScript());
        assertEquals(0, server.sessionsServed());
    }

    @Test
    void scriptThatThrowsOrReturnsNothingGetsCongestionSoTheCallFailsOver() throws Exception {
        // toolong: a value over the 4095 bytes the dialplan can use as ${V} (2100 chars, 4200 UTF-8 bytes)
        for (String script : List.of("boom", "nulls", "badname", "toolong")) {
            AgiCallResult r = call(script);
            assertEquals(
                    List.of(Map.entry("ROUTE_REASON", "script-error"), Map.entry("ROUTE_ACTION", "CONGESTION")),
                    r.variablesSet(),
                    script);
        }
        assertEquals(4, server.sessionsScriptError());
    }

    @Test
    void sqlLookingQueryIsPassedThroughAsData() throws Exception {
        String evil = "100'; DROP TABLE routes; --";
        AgiCallResult r = call("route?tenant=acme&did=" + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8));
        assertEquals(evil, lastRequest.get().parameter("did"));
        assertEquals("PJSIP/" + evil, r.variable("ROUTE_TARGET"));
    }

    @Test
    void valueWithQuotesBackslashAndLineEndCannotInjectACommand() throws Exception {
        AgiCallResult r = call("inject");
        assertEquals(1, r.commands().size(), "exactly one EXEC MSet command: " + r.commands());
        assertEquals(
                "EXEC MSet \"ROUTE_ACTION=PLAYBACK,ROUTE_TARGET=a\\\\\\\"b\\\\\\\\c EXEC System \\\\\\\"rm -rf /\\\\\\\"\"",
                r.commands().get(0));
        assertEquals("a\"b\\c EXEC System \"rm -rf /\"", r.variable("ROUTE_TARGET"));
        assertEquals("PLAYBACK", r.variable("ROUTE_ACTION"));
    }

    @Test
    void hangupBeforeReplyAnd5xxRepliesAreTolerated() throws Exception {
        List<String> replies = new ArrayList<>(
                List.of(
                        "HANGUP\n200 result=1",
                        "511 Command Not Permitted on a dead channel or intercept routine",
                        "520-Invalid command syntax.  Proper usage follows:\nSets a variable to the current channel.\n520 End of proper usage."));
        AgiCallResult r = new AgiCallClient(c -> replies.remove(0))
                .call("127.0.0.1", server.port(), "three", Map.of(), List.of(), CALL_TIMEOUT);
        assertEquals(List.of("ANSWER", "NOOP", "SET VARIABLE"), r.commands());
        assertEquals(1, server.sessionsServed());
        assertEquals(2, server.errorReplies());
        // A decision answered with a usage block is still one command, one reply, and counted.
        AgiCallResult d = new AgiCallClient(
                        c -> "520-Invalid command syntax.  Proper usage follows:\nx\n520 End of proper usage.")
                .call("127.0.0.1", server.port(), "route?did=7", Map.of(), List.of(), CALL_TIMEOUT);
        assertEquals(1, d.roundTrips());
        assertEquals(2, server.sessionsServed());
        assertEquals(3, server.errorReplies());
    }

    @Test
    void silentClientIsClosedAfterTheEnvironmentTimeout() throws Exception {
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            assertEquals("", drain(s));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 250 && ms < 3000, "closed after " + ms + " ms");
        }
        assertEquals(1, server.sessionsTimedOut());
    }

    @Test
    void clientStoppingMidBlockIsClosedAfterTheTimeout() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write("agi_network: yes\nagi_network_script: route\nagi_chan".getBytes(StandardCharsets.US_ASCII));
            assertEquals("", drain(s));
        }
        assertEquals(1, server.sessionsTimedOut());
    }

    @Test
    void clientClosingMidBlockIsCounted() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("agi_network: yes\n".getBytes(StandardCharsets.US_ASCII));
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (server.sessionsPeerClosedEarly() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, server.sessionsPeerClosedEarly());
        assertEquals(0, server.sessionsTimedOut(), "seen as closed, not left to time out");
    }

    @Test
    void megabyteLineIsRefused() throws Exception {
        try (Socket s = connect()) {
            byte[] junk = new byte[2 << 20];
            Arrays.fill(junk, (byte) 'a');
            OutputStream out = s.getOutputStream();
            try {
                out.write("agi_network: ".getBytes(StandardCharsets.US_ASCII));
                out.write(junk);
            } catch (IOException e) {
                // the server closed in the middle of our write: that is the point
            }
            drain(s);
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(1, server.sessionsMalformed());
    }

    @Test
    void binaryJunkIsRefused() throws Exception {
        byte[] junk = new byte[4096];
        new Random(42).nextBytes(junk);
        junk[100] = '\n';
        try (Socket s = connect()) {
            try {
                s.getOutputStream().write(junk);
            } catch (IOException e) {
                // closed early
            }
            drain(s);
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(1, server.sessionsMalformed());
    }

    @Test
    void endlessEnvironmentBlockIsRefused() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            try {
                for (int i = 0; i < 1000; i++) {
                    out.write(("agi_x" + i + ": y\n").getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // closed early
            }
            String sent = drain(s);
            assertTrue(
                    sent.isEmpty() || sent.equals("EXEC MSet \"ROUTE_REASON=malformed-request,ROUTE_ACTION=HANGUP\"\n"),
                    sent);
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(1, server.sessionsMalformed());
    }

    @Test
    void clientClosingMidReplyIsCountedAndLosesNothingElse() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", server.port(), "route?did=1", Map.of(), List.of()));
            InputStream in = s.getInputStream();
            assertEquals(
                    "EXEC MSet \"ROUTE_ACTION=DIAL,ROUTE_TARGET=PJSIP/1,ROUTE_REASON=did\"\n",
                    AsteriskReplayPeer.readLine(in));
            s.getOutputStream().write("200 res".getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(1, server.sessionsPeerClosedEarly());
        // The next call is served normally.
        assertEquals("DIAL", call("route?did=2").variable("ROUTE_ACTION"));
    }

    @Test
    void silentReplyTimesOut() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", server.port(), "route?did=1", Map.of(), List.of()));
            String sent = drain(s);
            assertTrue(sent.startsWith("EXEC MSet \"ROUTE_ACTION=DIAL,"), sent);
        }
        assertEquals(1, server.sessionsTimedOut());
    }

    @Test
    void overloadIsAnsweredAtOnceWithCongestion() throws Exception {
        server.close();
        server = start(FastAgiServerSettings.builder()
                .port(0)
                .selectorThreads(1)
                .maxSessions(2)
                .replyTimeout(Duration.ofSeconds(5))
                .build());
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = connect();
                held.add(s);
                s.getOutputStream()
                        .write(AgiCallClient.environmentBlock(
                                "127.0.0.1", server.port(), "hold?ms=4000", Map.of(), List.of()));
                assertEquals("WAIT FOR DIGIT 4000\n", AsteriskReplayPeer.readLine(s.getInputStream()));
            }
            assertEquals(2, server.sessionsInFlight());
            AgiCallResult r = call("route?did=100");
            assertEquals(
                    List.of(Map.entry("ROUTE_REASON", "overload"), Map.entry("ROUTE_ACTION", "CONGESTION")),
                    r.variablesSet());
            assertEquals(1, server.sessionsRefusedByOverload());
            // The held sessions go on normally.
            for (Socket s : held) {
                s.getOutputStream().write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("SET VARIABLE HOLD_RESULT \"0\"\n", AsteriskReplayPeer.readLine(s.getInputStream()));
                s.getOutputStream().write("200 result=1\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, s.getInputStream().read());
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(2, server.sessionsServed());
        // Capacity is back.
        assertEquals("DIAL", call("route?did=1").variable("ROUTE_ACTION"));
    }

    @Test
    void beyondTwiceMaxSessionsConnectionsAreClosedUnanswered() throws Exception {
        server.close();
        server = start(FastAgiServerSettings.builder()
                .port(0)
                .selectorThreads(1)
                .maxSessions(1)
                .environmentTimeout(Duration.ofSeconds(3))
                .replyTimeout(Duration.ofSeconds(3))
                .build());
        try (Socket held = connect();
                Socket refused = connect();
                Socket third = connect()) {
            held.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", server.port(), "hold?ms=3000", Map.of(), List.of()));
            assertEquals("WAIT FOR DIGIT 3000\n", AsteriskReplayPeer.readLine(held.getInputStream()));
            // The second connection gets the overload answer at once, even before its environment block.
            assertEquals(
                    "EXEC MSet \"ROUTE_REASON=overload,ROUTE_ACTION=CONGESTION\"\n",
                    AsteriskReplayPeer.readLine(refused.getInputStream()));
            // The third finds both budgets used up: closed without a word.
            assertEquals("", drain(third));
            assertEquals(1, server.sessionsClosedUnanswered());
            assertEquals(1, server.sessionsRefusedByOverload());
            // Asterisk's side of the refused session completes normally.
            refused.getOutputStream()
                    .write(AgiCallClient.environmentBlock("127.0.0.1", server.port(), "route", Map.of(), List.of()));
            refused.getOutputStream().write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, refused.getInputStream().read());
            held.getOutputStream().write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("SET VARIABLE HOLD_RESULT \"0\"\n", AsteriskReplayPeer.readLine(held.getInputStream()));
            held.getOutputStream().write("200 result=1\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, held.getInputStream().read());
        }
        assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
        assertEquals(1, server.sessionsServed());
    }

    @Test
    void channelMisuseIsAScriptErrorNotAHang() throws Exception {
        server.close();
        AtomicReference<Throwable> fromOtherThread = new AtomicReference<>();
        server = new FastAgiServer(FastAgiServerSettings.builder().port(0).build(), Map.of());
        server.register("after-finish", ch -> {
            ch.finish();
            ch.send("ANSWER", r -> {});
        });
        server.register("other-thread", ch -> {
            Thread t = new Thread(() -> {
                try {
                    ch.send("ANSWER", r -> {});
                } catch (Throwable e) {
                    fromOtherThread.set(e);
                }
            });
            t.start();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ch.finish();
        });
        server.start();
        assertEquals(
                List.of(Map.entry("ROUTE_REASON", "script-error"), Map.entry("ROUTE_ACTION", "CONGESTION")),
                call("after-finish").variablesSet());
        AgiCallResult r = call("other-thread");
        assertTrue(r.commands().isEmpty(), "nothing was sent from the foreign thread: " + r.commands());
        assertTrue(fromOtherThread.get() instanceof IllegalStateException, String.valueOf(fromOtherThread.get()));
        assertEquals(1, server.sessionsScriptError());
        assertEquals(1, server.sessionsServed());
    }

    @Test
    void clientOutsideAllowListIsClosedAtOnce() throws Exception {
        server.close();
        server = start(FastAgiServerSettings.builder()
                .port(0)
                .allow(List.of(CidrBlock.parse("127.0.0.2/32")))
                .build());
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", server.port(), "route?did=1", Map.of(), List.of()));
            assertEquals("", drain(s));
        }
        assertEquals(1, server.sessionsRefusedByAllowList());
        assertEquals(0, server.sessionsServed());
    }

    @Test
    void busyPortFailsWithTheAddressInTheMessage() throws Exception {
        FastAgiServer second =
                new FastAgiServer(FastAgiServerSettings.defaults().withPort(server.port()), Map.of());
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
        second.close();
    }

    @Test
    void awaitIdleWaitsForHeldSessionsAndCloseCutsThem() throws Exception {
        Socket s = connect();
        try {
            s.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", server.port(), "hold?ms=60000", Map.of(), List.of()));
            assertEquals("WAIT FOR DIGIT 60000\n", AsteriskReplayPeer.readLine(s.getInputStream()));
            assertTrue(!server.awaitIdle(Duration.ofMillis(200)));
            assertEquals(2, serverSockets(server.port()), "the leak check sees the listener and the held session");
            server.close();
            assertEquals(-1, s.getInputStream().read());
            assertEquals(0, server.sessionsInFlight());
        } finally {
            s.close();
        }
    }
}
