package org.pbxagent.agent.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.ami.AsteriskState;
import org.pbxagent.agent.ami.AsteriskWatch;

/** LoadMonitor on the real /proc of this machine and with a real AsteriskWatch against the AMI peer. */
class LoadMonitorTest {
    private final List<NodeLoad> seen = new CopyOnWriteArrayList<>();

    private static AsteriskState state(boolean available, String reason, int calls, long transitions) {
        return new AsteriskState(available, reason, calls, calls, Instant.now(), transitions);
    }

    @Test
    void publishesEveryIntervalFromTheRealProc() throws Exception {
        AtomicReference<AsteriskState> ast = new AtomicReference<>(state(true, "", 20, 1));
        AtomicInteger agi = new AtomicInteger(3);
        try (LoadMonitor m = new LoadMonitor(LoadSettings.defaults(200).withIntervalMs(100), ast::get, agi::get)) {
            m.addListener(seen::add);
            m.start();
            await("five samples", l -> seen.size() >= 5);
            NodeLoad l = seen.get(seen.size() - 1);
            assertTrue(l.asteriskAvailable());
            assertEquals(20, l.activeCalls());
            assertEquals(200, l.maxCalls());
            assertEquals(3, l.agiInFlight());
            assertTrue(l.cpuBusy() >= 0 && l.cpuBusy() <= 1, "cpu " + l.cpuBusy());
            assertTrue(l.memoryUsed() > 0 && l.memoryUsed() < 1, "memory " + l.memoryUsed());
            int expected = LoadScore.score(true, 20, l.cpuBusy(), l.memoryUsed(), 3, LoadSettings.defaults(200));
            assertTrue(Math.abs(l.score() - expected) < 5, "score " + l.score() + " vs formula " + expected);
            assertTrue(l.score() >= 10, "at least the call part, 20 of 200 calls");
        }
    }

    @Test
    void unavailableIsPublishedAtOnceWithScore100(@TempDir Path dir) throws Exception {
        AtomicReference<AsteriskState> ast = new AtomicReference<>(state(true, "", 0, 1));
        // Fixed /proc text: the real CPU of a busy build machine must not decide this test.
        Path stat = Files.writeString(dir.resolve("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n");
        Path mem = Files.writeString(dir.resolve("meminfo"), "MemTotal: 1000 kB\nMemAvailable: 800 kB\n");
        // A one-minute interval: anything published after the first sample came from the immediate path.
        try (LoadMonitor m =
                new LoadMonitor(LoadSettings.defaults(200).withIntervalMs(60_000), ast::get, () -> 0, stat, mem)) {
            m.addListener(seen::add);
            m.start();
            await("first sample", l -> l.asteriskAvailable());
            ast.set(state(false, "Asterisk shut down (Shutdown: Cleanly, Restart: False)", 0, 2));
            m.onAsteriskState(ast.get());
            NodeLoad l = await("unavailable published", x -> !x.asteriskAvailable());
            assertEquals(100, l.score());
            assertEquals("Asterisk shut down (Shutdown: Cleanly, Restart: False)", l.unavailableReason());
            ast.set(state(true, "", 0, 3));
            m.onAsteriskState(ast.get());
            l = await("available again published", x -> x.asteriskAvailable() && seen.size() >= 3);
            assertEquals(21, l.score(), "score follows the load again: memory 20 % of the 95 % ceiling");
            assertEquals(3, seen.size(), "one sample per change, nothing else within the minute");
        }
    }

    @Test
    void callCountChangeThatMovesTheScoreIsPublishedBeforeTheInterval(@TempDir Path dir) throws Exception {
        Path stat = Files.writeString(dir.resolve("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n");
        Path mem = Files.writeString(dir.resolve("meminfo"), "MemTotal: 1000 kB\nMemAvailable: 900 kB\n");
        AtomicReference<AsteriskState> ast = new AtomicReference<>(state(true, "", 0, 1));
        // A one-minute interval: every publish after the first comes from a count change.
        try (LoadMonitor m = new LoadMonitor(
                new LoadSettings(60_000, 100, 0.9, 0.95, 100, 5, new int[] {50, 80}, 2),
                ast::get,
                () -> 0,
                stat,
                mem)) {
            m.addListener(seen::add);
            m.start();
            NodeLoad l = await("first sample", x -> x.asteriskAvailable());
            assertEquals(11, l.score(), "memory 10 % of the 95 % ceiling");
            ast.set(state(true, "", 12, 1));
            m.onAsteriskState(ast.get());
            Thread.sleep(300);
            assertEquals(1, seen.size(), "12 calls of 100 (score 12, a move of 1) is not published early");
            ast.set(state(true, "", 40, 1));
            m.onAsteriskState(ast.get());
            l = await("40 calls published early", x -> x.score() == 40);
            assertEquals(40, l.activeCalls());
            // A burst of significant changes is published at most once per 100 ms, and the last one always.
            seen.clear();
            for (int c = 45; c <= 95; c += 5) {
                ast.set(state(true, "", c, 1));
                m.onAsteriskState(ast.get());
            }
            await("the last count of the burst", x -> x.score() == 95);
            assertTrue(seen.size() <= 3, "burst coalesced into " + seen.size() + " publishes");
        }
    }

    @Test
    void unreadableProcKeepsPublishing(@TempDir Path dir) throws Exception {
        Path stat = dir.resolve("stat");
        Path mem = dir.resolve("meminfo");
        Files.writeString(stat, "cpu  100 0 100 800 0 0 0 0 0 0\n");
        Files.writeString(mem, "MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
        AtomicReference<AsteriskState> ast = new AtomicReference<>(state(true, "", 0, 1));
        try (LoadMonitor m =
                new LoadMonitor(LoadSettings.defaults(200).withIntervalMs(50), ast::get, () -> 0, stat, mem)) {
            m.addListener(seen::add);
            m.start();
            await("first sample", l -> l.memoryUsed() == 0.5);
            Files.writeString(stat, "cpu  200 0 200 900 0 0 0 0 0 0\n"); // 200 busy of 300 since
            await("cpu from the file", l -> Math.abs(l.cpuBusy() - 2.0 / 3) < 1e-9);
            Files.writeString(stat, "garbage\n");
            Files.delete(mem);
            int before = seen.size();
            await("still publishing", l -> seen.size() >= before + 3);
            NodeLoad l = seen.get(seen.size() - 1);
            assertEquals(0.5, l.memoryUsed(), "last good memory figure kept");
            assertEquals(2.0 / 3, l.cpuBusy(), 1e-9, "last good CPU figure kept");
            assertEquals(74, l.score(), "cpu 0.667 / 0.9 = 74 %");
        } catch (IOException e) {
            fail(e);
        }
    }

    @Test
    void followsTheRealWatchAndDropsToUnavailableOnShutdown() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
            peer.setCallsQuietly(50);
            AsteriskWatch watch =
                    new AsteriskWatch(AmiSettings.defaults("127.0.0.1", peer.port(), "agent", "agentsecret")
                            .withTimings(200, 2000));
            try (watch;
                    LoadMonitor m = new LoadMonitor(
                            new LoadSettings(60_000, 100, 1.0, 1.0, 100, 5, new int[] {50, 80, 95}, 2),
                            watch::current,
                            () -> 0)) {
                m.addListener(seen::add);
                watch.addListener(m);
                m.start();
                watch.start();
                NodeLoad l = await("available with the 50 calls Asterisk counts", x -> x.asteriskAvailable());
                assertEquals(50, l.activeCalls());
                assertTrue(l.score() >= 50, "50 of 100 calls: score " + l.score());
                seen.clear();
                peer.shutdown();
                l = await(
                        "the shutdown reaches the load within a session",
                        x -> !x.asteriskAvailable() && x.score() == 100);
                assertTrue(
                        l.unavailableReason().startsWith("cannot connect")
                                || l.unavailableReason().startsWith("Asterisk shut down"),
                        l.unavailableReason());
                assertFalse(watch.current().available());
            }
        }
    }

    private NodeLoad await(String what, Predicate<NodeLoad> p) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            for (int i = seen.size() - 1; i >= 0; i--) {
                if (p.test(seen.get(i))) {
                    return seen.get(i);
                }
            }
            Thread.sleep(5);
        }
        fail("timed out waiting: " + what + "; seen " + seen);
        return null;
    }
}
