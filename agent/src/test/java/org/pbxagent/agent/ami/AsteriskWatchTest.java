package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watch against the AMI peer that replays Asterisk 20's recorded bytes. */
class AsteriskWatchTest {
    private AmiPeer peer;
    private AsteriskWatch watch;
    private final List<AsteriskState> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (watch != null) {
            watch.stop();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private AsteriskWatch watch(AmiSettings s) {
        watch = new AsteriskWatch(s);
        watch.addListener(seen::add);
        watch.start();
        return watch;
    }

    private AmiSettings settings(String secret) {
        return AmiSettings.defaults("127.0.0.1", peer.port(), "agent", secret);
    }

    @Test
    void recordedSessionLoginResyncEventsAndShutdown() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.emitRecordedCallsUp(); // three calls up before the agent connects: only the resync can know them
        // Pings far apart: anything noticed below happened because of traffic, not because a ping timed out.
        watch(settings("agentsecret").withTimings(300, 10_000, 100, 1000));

        AsteriskState s = await("available after login, FullyBooted and resync", st -> st.available());
        assertEquals(3, s.activeCalls(), "3 active calls from 'core show channels count'");
        assertEquals(3, s.activeChannels(), "3 channels from CoreShowChannels");
        assertEquals(List.of("agent"), peer.loginAttempts());
        awaitTrue("a Ping answered", () -> watch.lastPingRoundTripMicros() >= 0);

        peer.emitRecordedHangup("1795544753.9");
        s = await("recorded Hangup of channel 09", st -> st.activeCalls() == 2);
        assertEquals(2, s.activeChannels());
        peer.emitRecordedHangup("1795544753.10");
        peer.emitRecordedHangup("1795544754.11");
        await("all recorded calls hung up", st -> st.activeCalls() == 0 && st.activeChannels() == 0);
        peer.emitRecordedCallsUp();
        await("recorded Newchannel events counted", st -> st.activeCalls() == 3 && st.activeChannels() == 3);

        long t0 = System.nanoTime();
        peer.shutdown();
        s = await("unavailable on the recorded Shutdown event", st -> !st.available());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(s.reason().startsWith("Asterisk shut down (Shutdown: Cleanly, Restart: False)"), s.reason());
        // The ping deadline is 10 s: seeing it well before that proves the event, not a timeout, did it.
        assertTrue(ms < 5000, "unavailable " + ms + " ms after Shutdown");
        assertEquals(1, watch.logins());
    }

    @Test
    void wrongPasswordIsReportedAndRetriedWithBackoff() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("wrong").withTimings(1000, 2000, 100, 400));
        AsteriskState s = await("login refused", st -> st.reason().equals("authentication failed"));
        assertFalse(s.available());
        Thread.sleep(2000);
        int attempts = peer.loginAttempts().size();
        // 2 s with delays of 50..400 ms: several retries, but nothing like a tight loop.
        assertTrue(attempts >= 3 && attempts <= 30, "login attempts in 2 s: " + attempts);
        assertEquals("authentication failed", watch.current().reason());
        assertTrue(seen.stream().noneMatch(AsteriskState::available));
    }

    @Test
    void secretsNeverReachTheLog() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(AsteriskWatch.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            peer = new AmiPeer("agent", "Right-Secret-4711").start();
            watch(settings("Wrong-Secret-0815").withTimings(1000, 2000, 100, 400));
            await("login refused", st -> st.reason().equals("authentication failed"));
            watch.stop();
            seen.clear();
            watch(settings("Right-Secret-4711").withTimings(1000, 2000, 100, 400));
            await("available", AsteriskState::available);
            seen.clear();
            peer.crash();
            await("unavailable", st -> st.reason().startsWith("connection"));
            watch.stop();
        } finally {
            logger.detachAppender(appender);
        }
        List<String> lines = appender.list.stream().map(e -> e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())).toList();
        assertTrue(lines.size() >= 3, "the session was logged: " + lines);
        for (String l : lines) {
            assertFalse(l.contains("Secret-"), "secret in log line: " + l);
        }
    }

    @Test
    void refusedLoginRecoversWhenAsteriskAcceptsAgain() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.refuseLogin(true);
        watch(settings("agentsecret").withTimings(1000, 2000, 100, 400));
        await("login refused", st -> st.reason().equals("authentication failed"));
        peer.refuseLogin(false);
        await("available once the login is accepted", AsteriskState::available);
    }

    @Test
    void silentAsteriskIsNoticedWithinThePingDeadline() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret")); // defaults: ping every 1000 ms, reply deadline 2000 ms
        await("available", AsteriskState::available);
        long t0 = System.nanoTime();
        peer.hang();
        AsteriskState s = await("unavailable when pings go unanswered", st -> !st.available());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("no reply to Ping within 2000 ms", s.reason());
        System.out.println("silent Asterisk noticed after " + ms + " ms");
        assertTrue(ms >= 1500 && ms < 6000, "noticed after " + ms + " ms (interval 1000 + deadline 2000)");
        peer.resume();
        await("available again after the peer answers", AsteriskState::available);
    }

    @Test
    void missingBannerAndUnansweredLoginHitTheirDeadlines() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.hang(); // accepts the connection, says nothing: not even the banner
        watch(settings("agentsecret").withTimings(1000, 2000, 100, 400));
        AsteriskState s = await("banner deadline", st -> st.reason().startsWith("no AMI banner"));
        assertEquals("no AMI banner within 2000 ms", s.reason());
        peer.resume();
        await("available once the peer talks", AsteriskState::available);
        watch.stop();
        seen.clear();

        // A manager that greets but never answers the Login.
        try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread greeter = new Thread(() -> {
                List<java.net.Socket> open = new java.util.ArrayList<>();
                try {
                    while (true) {
                        java.net.Socket c = mute.accept();
                        open.add(c);
                        c.getOutputStream().write(AmiRecording.load().banner.getBytes(StandardCharsets.UTF_8));
                    }
                } catch (java.io.IOException closed) {
                    for (java.net.Socket c : open) {
                        try {
                            c.close();
                        } catch (java.io.IOException ignored) {
                            // test cleanup
                        }
                    }
                }
            });
            greeter.setDaemon(true);
            greeter.start();
            watch(AmiSettings.defaults("127.0.0.1", mute.getLocalPort(), "agent", "agentsecret")
                    .withTimings(1000, 2000, 100, 400));
            AsteriskState s2 = await("login deadline", st -> st.reason().startsWith("no reply to Login"));
            assertEquals("no reply to Login within 2000 ms", s2.reason());
            watch.stop();
        }
    }

    @Test
    void closedConnectionIsUnavailableAtOnceAndResyncCorrectsCounts() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret").withTimings(1000, 10_000, 100, 400));
        await("available", AsteriskState::available);
        peer.callUp();
        peer.callUp();
        await("two calls from events", st -> st.activeCalls() == 2);

        long t0 = System.nanoTime();
        peer.crash();
        AsteriskState s = await("unavailable when the connection closes", st -> !st.available());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5000, "unavailable " + ms + " ms after the close (ping deadline is 10 s)");
        assertTrue(s.reason().startsWith("connection"), s.reason());

        peer.setCallsQuietly(5); // calls changed while nobody watched
        peer.start();
        s = await("available again after reconnecting", AsteriskState::available);
        assertEquals(5, s.activeCalls(), "resync after reconnect corrects the count");
        assertEquals(5, s.activeChannels());
        assertEquals(2, watch.logins());
    }

    @Test
    void periodicResyncCorrectsDriftWithoutReconnecting() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret").withTimings(1000, 2000, 100, 400).withResyncIntervalMs(1000));
        await("available", AsteriskState::available);
        peer.callUp();
        await("one call from events", st -> st.activeCalls() == 1);
        peer.setCallsQuietly(6); // events lost: the count drifts until the next resync
        AsteriskState s = await("resync reads the truth", st -> st.activeCalls() == 6);
        assertEquals(6, s.activeChannels());
        assertTrue(s.available());
        assertEquals(1, watch.logins(), "no reconnect was needed");
    }

    @Test
    void garbageAndOverlongLinesAreSkipped() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret").withTimings(500, 2000, 100, 400));
        await("available", AsteriskState::available);
        peer.sendRaw("\u0000\u00ff\u0001 binary garbage\r\nno colon here\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] longLine = new byte[200_000];
        java.util.Arrays.fill(longLine, (byte) 'x');
        peer.sendRaw(longLine);
        peer.sendRaw("\r\n\r\nJust: a message that is neither\r\n\r\nResponse: Success\r\nActionID: nobody\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        peer.callUp();
        AsteriskState s = await("events after the garbage still counted", st -> st.activeCalls() == 1);
        assertTrue(s.available());
        assertEquals(1, watch.logins(), "the connection survived");
        assertTrue(watch.skippedTraffic() >= 4, "garbage skipped and counted: " + watch.skippedTraffic());
    }

    @Test
    void slowListenerDoesNotDelayTheReader() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        AtomicInteger calls = new AtomicInteger();
        watch = new AsteriskWatch(settings("agentsecret").withTimings(200, 1000, 100, 400));
        watch.addListener(st -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(1500); // far slower than the events and than the ping deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        watch.start();
        awaitTrue("available", () -> watch.current().available());
        for (int i = 0; i < 200; i++) {
            peer.callUp();
        }
        awaitTrue("the reader counted every call while the listener sleeps", () -> watch.current().activeCalls() == 200);
        Thread.sleep(1500); // pings keep being answered: the reader is not stuck behind the listener
        assertTrue(watch.current().available(), watch.current().reason());
        assertEquals(1, watch.logins());
        assertTrue(calls.get() <= 5, "notifications were coalesced, listener called " + calls.get() + " times");
    }

    private AsteriskState await(String what, Predicate<AsteriskState> p) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            for (AsteriskState s : seen) {
                if (p.test(s)) {
                    seen.clear();
                    return s;
                }
            }
            Thread.sleep(5);
        }
        fail("timed out waiting: " + what + "; last state " + watch.current());
        return null;
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier p) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            if (p.getAsBoolean()) {
                return;
            }
            Thread.sleep(5);
        }
        fail("timed out waiting: " + what);
    }
}
