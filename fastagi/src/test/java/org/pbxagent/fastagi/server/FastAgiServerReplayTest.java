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
import org.pbxagent.fastagi.protocol.AgiReply;

/** The server against the sessions recorded with a real Asterisk 20, byte for byte. */
class FastAgiServerReplayTest {
    private static final FastAgiServerSettings SETTINGS = FastAgiServerSettings.defaults().withPort(0)
            .withSelectorThreads(1);

    /** Sends recorded commands one at a time, as the recorded server did, and keeps the parsed replies. */
    static final class ReplayScript implements AgiScript {
        final List<String> commands;
        final List<AgiReply> replies = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean hungUp = new AtomicBoolean();
        final AtomicReference<AgiRequest> request = new AtomicReference<>();

        ReplayScript(RecordedAgiSessions.Session s) {
            commands = new ArrayList<>();
            for (String c : s.commands()) commands.add(c.substring(0, c.length() - 1));
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
    void decisionScriptSendsExactlyTheRecordedSetVariableCommands() throws Exception {
        RecordedAgiSessions.Session full = RecordedAgiSessions.session("route?tenant=acme&did=100");
        // The recorded session's first two commands were the route decision; keep the exchange up to their replies.
        List<RecordedAgiSessions.Step> steps = new ArrayList<>();
        int commands = 0;
        for (RecordedAgiSessions.Step st : full.steps()) {
            if (!st.fromAsterisk() && ++commands > 2) break;
            steps.add(st);
        }
        RecordedAgiSessions.Session routeOnly = new RecordedAgiSessions.Session(full.script(), steps);
        assertEquals(List.of("SET VARIABLE ROUTE_ACTION \"DIAL\"\n", "SET VARIABLE ROUTE_TARGET \"SIP/1001\"\n"),
                routeOnly.commands());

        AtomicReference<AgiRequest> seen = new AtomicReference<>();
        DecisionScript route = req -> {
            seen.set(req);
            return RouteDecision.builder().set("ROUTE_ACTION", "DIAL").set("ROUTE_TARGET", "SIP/1001").build();
        };
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of("route", route))) {
            server.start();
            AsteriskReplayPeer.replay(server.port(), routeOnly);
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
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
    void decisionIsPipelinedInOneBurstBeforeAnyReply() throws Exception {
        RecordedAgiSessions.Session rec = RecordedAgiSessions.session("route?tenant=acme&did=100");
        DecisionScript route = req -> RouteDecision.builder().set("ROUTE_ACTION", "DIAL").set("ROUTE_TARGET", "SIP/1001")
                .set("ROUTE_TIMEOUT", "30").set("ROUTE_OPTIONS", "tT").set("ROUTE_REASON", "did")
                .set("ROUTE_DEGRADED", "0").build();
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of("route", route));
             Socket s = new Socket()) {
            server.start();
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(rec.environmentBlock());
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 6; i++) got.add(AsteriskReplayPeer.readLine(in));
            assertEquals(List.of("SET VARIABLE ROUTE_ACTION \"DIAL\"\n", "SET VARIABLE ROUTE_TARGET \"SIP/1001\"\n",
                    "SET VARIABLE ROUTE_TIMEOUT \"30\"\n", "SET VARIABLE ROUTE_OPTIONS \"tT\"\n",
                    "SET VARIABLE ROUTE_REASON \"did\"\n", "SET VARIABLE ROUTE_DEGRADED \"0\"\n"), got);
            // Five replies: the server must still wait for the sixth.
            out.write("200 result=1\n200 result=1\n200 result=1\n200 result=1\n200 result=1\n"
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(100);
            assertEquals(1, server.sessionsInFlight());
            out.write("200 result=1\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, in.read());
            assertTrue(server.awaitIdle(Duration.ofSeconds(2)));
            assertEquals(1, server.sessionsServed());
        }
    }

    @Test
    void linesSplitAcrossManyReadsAreReassembled() throws Exception {
        RecordedAgiSessions.Session rec = RecordedAgiSessions.session("hangupwait");
        ReplayScript script = new ReplayScript(rec);
        try (FastAgiServer server = new FastAgiServer(SETTINGS, Map.of()); Socket s = new Socket()) {
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
                if (random.nextInt(4) == 0) Thread.sleep(1);
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
            server.register("route", route).register("errors", errors).register("closeearly", closeEarly)
                    .register("hangupwait", hangupWait);
            server.start();
            for (RecordedAgiSessions.Session s : sessions.values()) AsteriskReplayPeer.replay(server.port(), s);
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
