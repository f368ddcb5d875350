package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The watch's short sessions against the AMI peer that replays Asterisk 20's recorded bytes and mechanisms. */
class AsteriskWatchTest {
    private static final AmiRecording REC = AmiRecording.load();

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
    void recordedCallsAreCountedFromAsteriskItself() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.emitRecordedCallsUp(); // the recording's three calls, up before the agent's first session
        watch(settings("agentsecret"));

        AsteriskState s = await("available after login, FullyBooted and the count", AsteriskState::available);
        assertEquals(3, s.activeCalls(), "3 active calls from 'core show channels count'");
        assertEquals(3, s.activeChannels(), "3 active channels from the same answer");
        assertTrue(watch.lastReplyRoundTripMicros() >= 0);
        peer.emitRecordedHangup("1795544753.9");
        s = await("the hangup seen by the next session", st -> st.activeCalls() == 2);
        assertEquals(2, s.activeChannels());
        assertTrue(
                peer.loginAttempts().stream().allMatch("agent"::equals),
                peer.loginAttempts().toString());
    }

    @Test
    void countsAreExactAtSeveralCallLevels() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret").withTimings(100, 2000));
        await("available", AsteriskState::available);
        // Two channels per call, as a ring-group call on a real Asterisk (40 / 200 / 400 channels at 20 / 100 / 200
        // calls): a count of channels would be twice the calls.
        for (int calls : new int[] {0, 1, 20, 100, 200, 7, 0}) {
            peer.setCallsQuietly(calls, 2);
            awaitTrue(
                    calls + " calls and " + 2 * calls + " channels",
                    () -> watch.current().activeCalls() == calls
                            && watch.current().activeChannels() == 2 * calls);
            AsteriskState s = watch.current();
            assertEquals(calls, peer.liveCalls(), "what the peer has up");
            assertTrue(s.available(), s.reason());
        }
    }

    @Test
    void loggedInTimePerIntervalIsBoundedAsThePeerMeasuresIt() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        int interval = 200;
        int reply = 2000;
        watch(settings("agentsecret").withTimings(interval, reply));
        await("available", AsteriskState::available);
        peer.startCalls(50, 500); // call events flow all the time; none is for the watch's sessions

        long logins0 = peer.successfulLogins();
        long in0 = peer.loggedInNanos();
        long events0 = watch.eventsReceived();
        long t0 = System.nanoTime();
        Thread.sleep(4000);
        long elapsed = System.nanoTime() - t0;
        long loggedIn = peer.loggedInNanos() - in0;
        long logins = peer.successfulLogins() - logins0;
        long events = watch.eventsReceived() - events0;
        peer.stopCalls();

        double fraction = (double) loggedIn / elapsed;
        double perSessionMs = logins == 0 ? 0 : loggedIn / 1e6 / logins;
        System.out.printf(
                "FIGURE AMI logged in %.2f %% of the time: %d sessions in %.1f s, %.3f ms each on average,"
                        + " longest %.3f ms (interval %d ms)%n",
                100 * fraction, logins, elapsed / 1e9, perSessionMs, peer.longestLoggedInNanos() / 1e6, interval);
        assertTrue(logins >= 3, "sessions kept running: " + logins);
        // A permanent session is logged in 100 % of the time; these are logged in for one exchange each, which the
        // watch bounds by the count's and the Logoff's reply timeouts.
        assertTrue(fraction < 0.5, "logged in " + 100 * fraction + " % of the time");
        assertTrue(
                peer.longestLoggedInNanos() <= (2L * reply + 1000) * 1_000_000L,
                "longest session logged in " + peer.longestLoggedInNanos() / 1e6 + " ms");
        assertTrue(
                events <= logins + 2,
                "only FullyBooted per session, no call events: " + events + " events in " + logins + " sessions");
        assertTrue(watch.current().available(), watch.current().reason());
    }

    @Test
    void aStoppingAsteriskIsUnavailableFromTheFirstErrorAnswerNotFromTheShutdownEvent() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.setCallsQuietly(2);
        watch(settings("agentsecret"));
        await("available with the two calls", st -> st.available() && st.activeCalls() == 2);

        long t0 = System.nanoTime();
        peer.beginGracefulStop(); // core stop gracefully with 2 calls up: Event: Shutdown waits for them
        AsteriskState s = await("unavailable while the stop waits for calls", st -> !st.available());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("FIGURE core stop gracefully -> watch unavailable: " + ms + " ms (interval 500 ms)");
        assertEquals("Asterisk is shutting down", s.reason());
        assertTrue(peer.shuttingDown() && peer.liveCalls() == 2, "seen before any Shutdown event");
        Thread.sleep(1000);
        assertFalse(watch.current().available(), "still stopping: " + watch.current());

        peer.abortShutdown(); // core abort shutdown
        await("available again once actions are answered", AsteriskState::available);

        peer.beginGracefulStop();
        await("unavailable again", st -> !st.available());
        peer.setCallsQuietly(0); // the calls end: now the Shutdown event and the close
        s = await("down once the stop has ended", st -> st.reason().startsWith("cannot connect"));
        assertFalse(s.available());
        assertTrue(seen.stream().noneMatch(AsteriskState::available), "never available after the stop: " + seen);
    }

    @Test
    void aLoginDuringAStopIsNotAnAuthenticationFailure() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.setCallsQuietly(1);
        peer.beginGracefulStop();
        watch(settings("agentsecret"));
        AsteriskState s = await("refused login reported", st -> !st.reason().startsWith("not connected"));
        assertEquals("Asterisk is shutting down", s.reason());
    }

    @Test
    void aRefusedConnectIsDownAndARestartedAsteriskIsSeenWithItsCounts() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret"));
        await("available", AsteriskState::available);

        long t0 = System.nanoTime();
        peer.crash();
        AsteriskState s = await("down when nothing listens", st -> !st.available());
        System.out.println("FIGURE crash -> watch unavailable: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertTrue(s.reason().startsWith("cannot connect to 127.0.0.1:" + peer.port()), s.reason());

        peer.setCallsQuietly(5); // calls that came up while nobody watched
        t0 = System.nanoTime();
        peer.start();
        s = await("available again after the restart", AsteriskState::available);
        System.out.println("FIGURE restart -> watch available: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertEquals(5, s.activeCalls(), "Asterisk's own count after the restart");
        assertEquals(5, s.activeChannels());
    }

    @Test
    void aHungAsteriskIsNoticedByTheBannerDeadline() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("agentsecret")); // connect and banner within 2000 ms
        await("available", AsteriskState::available);
        long t0 = System.nanoTime();
        peer.hang(); // as a SIGSTOPped Asterisk: the kernel accepts, nothing is said
        AsteriskState s = await("unavailable when the banner does not come", st -> !st.available());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("FIGURE hung Asterisk noticed after " + ms + " ms (interval 500 + deadline 2000)");
        assertEquals("no AMI banner within 2000 ms", s.reason());
        assertTrue(ms >= 1500, "the deadline, not something else, noticed it: " + ms + " ms");
        peer.resume();
        await("available again after the peer answers", AsteriskState::available);
    }

    @Test
    void anUnansweredLoginOrCountHitsTheReplyDeadline() throws Exception {
        try (MuteManager loginMute = new MuteManager(false)) {
            watch(AmiSettings.defaults("127.0.0.1", loginMute.port(), "agent", "agentsecret")
                    .withTimings(500, 1000));
            AsteriskState s = await("login deadline", st -> !st.reason().startsWith("not connected"));
            assertEquals("no reply to Login within 1000 ms", s.reason());
            watch.stop();
        }
        seen.clear();
        try (MuteManager countMute = new MuteManager(true)) {
            watch(AmiSettings.defaults("127.0.0.1", countMute.port(), "agent", "agentsecret")
                    .withTimings(500, 1000));
            AsteriskState s = await("count deadline", st -> !st.reason().startsWith("not connected"));
            assertEquals("no reply to Command within 1000 ms", s.reason());
            assertFalse(s.available());
        }
    }

    @Test
    void wrongPasswordIsReportedAndNotRetriedInALoop() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        watch(settings("wrong"));
        AsteriskState s = await("login refused", st -> st.reason().equals("authentication failed"));
        assertFalse(s.available());
        Thread.sleep(4000);
        int attempts = peer.loginAttempts().size();
        // manager.c answers a refusal after 1 s; the watch then waits AUTH_RETRY_MS: at most two in 5 s.
        assertTrue(attempts >= 1 && attempts <= 2, "login attempts in about 5 s: " + attempts);
        assertEquals("authentication failed", watch.current().reason());
        assertTrue(seen.stream().noneMatch(AsteriskState::available));
    }

    @Test
    void secretsNeverReachTheLog() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AsteriskWatch.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            peer = new AmiPeer("agent", "Right-Secret-4711").start();
            watch(settings("Wrong-Secret-0815"));
            await("login refused", st -> st.reason().equals("authentication failed"));
            watch.stop();
            seen.clear();
            watch(settings("Right-Secret-4711"));
            await("available", AsteriskState::available);
            seen.clear();
            peer.crash();
            await("unavailable", st -> st.reason().startsWith("cannot connect"));
            watch.stop();
        } finally {
            logger.detachAppender(appender);
        }
        List<String> lines = appender.list.stream()
                .map(e -> e.getFormattedMessage()
                        + (e.getThrowableProxy() == null
                                ? ""
                                : " " + e.getThrowableProxy().getMessage()))
                .toList();
        assertTrue(lines.size() >= 3, "the sessions were logged: " + lines);
        for (String l : lines) {
            assertFalse(l.contains("Secret-"), "secret in log line: " + l);
        }
    }

    @Test
    void refusedLoginRecoversWhenAsteriskAcceptsAgain() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.refuseLogin(true);
        watch(settings("agentsecret"));
        await("login refused", st -> st.reason().equals("authentication failed"));
        peer.refuseLogin(false);
        await("available once the login is accepted", AsteriskState::available);
    }

    @Test
    void anAsteriskStillBootingIsNotAvailableButCounted() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.booted(false);
        peer.setCallsQuietly(2);
        watch(settings("agentsecret"));
        AsteriskState s = await("not booted", st -> st.reason().equals("Asterisk not fully booted"));
        assertFalse(s.available());
        assertEquals(2, watch.current().activeCalls());
        peer.booted(true);
        await("available once FullyBooted follows the login", AsteriskState::available);
    }

    @Test
    void garbageAndOverlongLinesAreSkipped() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.garbageBeforeReplies(true);
        peer.setCallsQuietly(3);
        watch(settings("agentsecret"));
        AsteriskState s = await("available through the garbage", AsteriskState::available);
        assertEquals(3, s.activeCalls());
        assertTrue(watch.skippedTraffic() >= 3, "garbage skipped and counted: " + watch.skippedTraffic());
    }

    @Test
    void slowListenerDoesNotDelayTheSessions() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        AtomicInteger calls = new AtomicInteger();
        watch = new AsteriskWatch(settings("agentsecret").withTimings(100, 1000));
        watch.addListener(st -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(1500); // far slower than the sessions
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        watch.start();
        awaitTrue("available", () -> watch.current().available());
        long logins = watch.logins();
        for (int n = 1; n <= 5; n++) {
            peer.setCallsQuietly(n * 40);
            int want = n * 40;
            awaitTrue(
                    want + " calls counted while the listener sleeps",
                    () -> watch.current().activeCalls() == want);
        }
        assertTrue(watch.logins() > logins + 3, "sessions went on: " + (watch.logins() - logins));
        assertTrue(watch.current().available(), watch.current().reason());
        assertTrue(calls.get() <= 4, "notifications were coalesced, listener called " + calls.get() + " times");
    }

    /** A manager that greets and then never answers the Login, or answers the Login and then nothing. */
    private static final class MuteManager implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        private final List<Socket> open = new CopyOnWriteArrayList<>();

        MuteManager(boolean answerLogin) throws IOException {
            Thread t = new Thread(
                    () -> {
                        try {
                            while (true) {
                                Socket c = server.accept();
                                open.add(c);
                                c.getOutputStream().write(REC.banner.getBytes(StandardCharsets.UTF_8));
                                if (answerLogin) {
                                    String id = readActionId(c.getInputStream());
                                    c.getOutputStream()
                                            .write((AmiRecording.withActionId(
                                                                    REC.find("Response: Success", "ActionID: l2"),
                                                                    "l2",
                                                                    id)
                                                            + REC.find("Event: FullyBooted"))
                                                    .getBytes(StandardCharsets.UTF_8));
                                }
                            }
                        } catch (IOException closed) {
                            // closed by the test
                        }
                    },
                    "mute-manager");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static String readActionId(InputStream in) throws IOException {
            StringBuilder all = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                all.append((char) b);
                if (all.indexOf("\r\n\r\n") >= 0) {
                    break;
                }
            }
            for (String line : all.toString().split("\r\n")) {
                if (line.startsWith("ActionID: ")) {
                    return line.substring(10);
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : new ArrayList<>(open)) {
                s.close();
            }
        }
    }

    private AsteriskState await(String what, Predicate<AsteriskState> p) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            for (AsteriskState s : seen) {
                if (p.test(s)) {
                    seen.clear();
                    return s;
                }
            }
            Thread.sleep(5);
        }
        fail("timed out waiting: " + what + "; last state " + (watch == null ? null : watch.current()));
        return null;
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier p) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            if (p.getAsBoolean()) {
                return;
            }
            Thread.sleep(5);
        }
        fail("timed out waiting: " + what);
    }
}
