package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.protocol.AgiReply;

/** The server against the sessions recorded with a real Asterisk 20, byte for byte. */
class FastAgiServerReplayTest {
    private static final FastAgiServerSettings SETTINGS =
            FastAgiServerSettings.defaults().withPort(0).withSelectorThreads(1);

    /** Sends recorded commands one at a time, as the recorded server did, and keeps the parsed replies. */
    static final class ReplayScript implements AgiScript {
        final List<String> commands;
        final List<AgiReply> replies = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean hungUp = new AtomicBoolean();
        final AtomicReference<AgiRequest> request = new AtomicReference<>();

        ReplayScript(RecordedAgiSessions.Session s) {
            commands = new ArrayList<>();
            for (String c : s.commands()) {
                commands.add(c.substring(0, c.length() - 1));
            }
        }

        @Override
        public void start(AgiChannel channel) {
            request.set(channel.request());
            next(channel, 0);
        }

        private void next(AgiChannel channel, int i) {
            if (i == commands.size()) {
                hungUp.set(channel.hungUp());
                channel.finish();
                return;
            }
            channel.send(commands.get(i), reply -> {
                replies.add(reply);
                next(channel, i + 1);
            });
        }
    }

    @Test
    void decisionIsOneExecMSetAfterTheRecordedEnvironment() throws Exception {
        RecordedAgiSessions.Session full = RecordedAgiSessions.session("route?tenant=acme&did=100");
        // The recorded environment, then the decision as one command and Asterisk's reply to EXEC MSet.
        List<RecordedAgiSessions.Step> steps = new ArrayList<>();
        for (RecordedAgiSessions.Step st : full.steps()) {
            steps.add(st);
            if (st.text().equals("\n")) {
                break;
            }
        }
        steps.add(new RecordedAgiSessions.Step(false, "EXEC MSet \"ROUTE_TARGET=SIP/1001,ROUTE_ACTION=DIAL\"\n"));
        steps.add(new RecordedAgiSessions.Step(true, "200 result=0\n"));
        RecordedAgiSessions.Session routeOnly = new RecordedAgiSessions.Session(full.script(), steps);

        AtomicReference<AgiRequest> seen = new AtomicReference<>();
        DecisionScript route = req -> {
            seen.set(req);
            return RouteDecision.builder()
                    .set("ROUTE_TARGET", "SIP/1001")
                    .set("ROUTE_ACTION", "DIAL")
                    .build();
        };
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of("route", route))) {
            server.start();
            AsteriskReplayPeer.replay(server.port(), routeOnly);
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
            assertEquals(1, server.commandsSent());
        }
        AgiRequest req = seen.get();
        assertEquals("route", req.script());
        assertEquals(Map.of("tenant", "acme", "did", "100"), req.parameters());
        assertEquals(List.of("arg1", "arg two"), req.arguments());
        assertEquals("5551234", req.callerIdNumber());
        assertEquals("100", req.dnid());
        assertEquals("SIP/127.0.0.1-00000005", req.channel());
        assertEquals("", req.env("accountcode"));
        assertEquals("from-kamailio", req.env("context"));
    }

    @Test
    void nothingMoreIsWrittenUntilTheReplyIsIn() throws Exception {
        RecordedAgiSessions.Session rec = RecordedAgiSessions.session("route?tenant=acme&did=100");
        DecisionScript route = req -> RouteDecision.builder()
                .set("ROUTE_TARGET", "SIP/1001")
                .set("ROUTE_TIMEOUT", "30")
                .set("ROUTE_OPTIONS", "tT")
                .set("ROUTE_REASON", "did")
                .set("ROUTE_DEGRADED", "0")
                .set("CALLERID(name)", "Reception")
                .set("ROUTE_ACTION", "DIAL")
                .build();
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of("route", route));
                Socket s = new Socket()) {
            server.start();
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(rec.environmentBlock());
            s.setSoTimeout(5000);
            // A name MSet cannot take goes as a SET VARIABLE of its own; ROUTE_ACTION stays in the last command.
            assertEquals(
                    "EXEC MSet \"ROUTE_TARGET=SIP/1001,ROUTE_TIMEOUT=30,ROUTE_OPTIONS=tT,ROUTE_REASON=did,"
                            + "ROUTE_DEGRADED=0\"\n",
                    AsteriskReplayPeer.readLine(in));
            assertNothingMore(s);
            out.write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("SET VARIABLE CALLERID(name) \"Reception\"\n", AsteriskReplayPeer.readLine(in));
            assertNothingMore(s);
            out.write("200 result=1\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("EXEC MSet \"ROUTE_ACTION=DIAL\"\n", AsteriskReplayPeer.readLine(in));
            out.write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, in.read());
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
            assertEquals(3, server.commandsSent());
        }
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of());
                Socket s = new Socket()) {
            // Three commands queued at once by the script: the session still writes one at a time.
            server.register("steps", ch -> {
                ch.send("ANSWER", r -> {});
                ch.send("GET VARIABLE CHANNEL(name)", r -> {});
                ch.setVariable("X", "1", r -> ch.finish());
            });
            server.start();
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(AgiCallClient.environmentBlock("127.0.0.1", server.port(), "steps", Map.of(), List.of()));
            for (String[] step : new String[][] {
                {"ANSWER\n", "200 result=0\n"},
                {"GET VARIABLE CHANNEL(name)\n", "200 result=1 (SIP/x)\n"},
                {"SET VARIABLE X \"1\"\n", "200 result=1\n"}
            }) {
                assertEquals(step[0], AsteriskReplayPeer.readLine(in));
                assertNothingMore(s);
                out.write(step[1].getBytes(StandardCharsets.US_ASCII));
            }
            assertEquals(-1, in.read());
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
        }
    }

    /** Nothing further arrives within a while: the server waits for the reply before its next command. */
    private static void assertNothingMore(Socket s) throws Exception {
        s.setSoTimeout(150);
        try {
            int b = s.getInputStream().read();
            throw new AssertionError("server wrote before the reply was in: " + (char) b);
        } catch (java.net.SocketTimeoutException expected) {
            // lock-step
        } finally {
            s.setSoTimeout(5000);
        }
    }

    @Test
    void linesSplitAcrossManyReadsAreReassembled() throws Exception {
        RecordedAgiSessions.Session rec = RecordedAgiSessions.session("hangupwait");
        ReplayScript script = new ReplayScript(rec);
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of());
                Socket s = new Socket()) {
            server.register("hangupwait", script);
            server.start();
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            java.util.Random random = new java.util.Random(7);
            byte[] env = rec.environmentBlock();
            for (int i = 0; i < env.length; ) {
                int n = Math.min(env.length - i, 1 + random.nextInt(7));
                out.write(env, i, n);
                out.flush();
                i += n;
                if (random.nextInt(4) == 0) {
                    Thread.sleep(1);
                }
            }
            for (RecordedAgiSessions.Step step : rec.afterEnvironment()) {
                if (step.fromAsterisk()) {
                    byte[] b = step.text().getBytes(StandardCharsets.UTF_8);
                    for (byte x : b) {
                        out.write(x);
                        out.flush();
                    }
                } else {
                    assertEquals(step.text(), AsteriskReplayPeer.readLine(in));
                }
            }
            assertEquals(-1, in.read());
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
        }
        assertEquals("hangupwait", script.request.get().script());
        assertEquals("SIP/127.0.0.1-00000008", script.request.get().channel());
        assertEquals("Up", script.replies.get(2).data());
        assertTrue(script.hungUp.get());
    }

    @Test
    void multiStepScriptsReplayEveryRecordedSession() throws Exception {
        Map<String, RecordedAgiSessions.Session> sessions = RecordedAgiSessions.load();
        ReplayScript route = new ReplayScript(sessions.get("route?tenant=acme&did=100"));
        ReplayScript errors = new ReplayScript(sessions.get("errors"));
        ReplayScript closeEarly = new ReplayScript(sessions.get("closeearly"));
        ReplayScript hangupWait = new ReplayScript(sessions.get("hangupwait"));
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of())) {
            server.register("route", route)
                    .register("errors", errors)
                    .register("closeearly", closeEarly)
                    .register("hangupwait", hangupWait);
            server.start();
            for (RecordedAgiSessions.Session s : sessions.values()) {
                AsteriskReplayPeer.replay(server.port(), s);
            }
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(4, server.sessionsServed());
            assertEquals(0, server.sessionsMalformed());
            assertEquals(2, server.errorReplies(), "one 510 and one 520");
        }

        assertEquals(6, route.replies.size());
        assertEquals("SIP/127.0.0.1-00000005", route.replies.get(2).data());
        assertEquals("5551234-100", route.replies.get(3).data());
        assertEquals(0, route.replies.get(4).result());
        assertNull(route.replies.get(4).data());

        List<AgiReply> e = errors.replies;
        assertEquals(9, e.size());
        assertEquals(510, e.get(0).status());
        assertEquals(520, e.get(1).status());
        assertEquals("Sets a variable to the current channel.", e.get(1).usage());
        assertEquals(200, e.get(2).status());
        assertEquals(-1, e.get(2).result());
        assertEquals(0, e.get(2).endpos());
        assertEquals(-2, e.get(3).result());
        assertEquals(4, e.get(5).result());
        assertEquals("val", e.get(7).data());
        assertEquals(0, e.get(8).result());

        assertTrue(closeEarly.replies.isEmpty());

        assertEquals(4, hangupWait.replies.size());
        assertEquals(-1, hangupWait.replies.get(1).result());
        assertEquals("Up", hangupWait.replies.get(2).data(), "the reply after the HANGUP line belongs to the command");
        assertTrue(hangupWait.hungUp.get());
    }
}
