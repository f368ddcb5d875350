package org.pbxagent.agent.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** /proc parsing on recorded samples, the score formula and its hysteresis. */
class LoadScoreTest {
    private static final LoadSettings S = LoadSettings.defaults(200);

    private static String res(String name) throws IOException {
        try (InputStream in = LoadScoreTest.class.getResourceAsStream("/proc/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void cpuBusyFromRecordedProcStatSamples() throws IOException {
        CpuTimes idle1 = CpuTimes.parse(res("stat-1.txt"));
        CpuTimes idle2 = CpuTimes.parse(res("stat-2.txt"));
        // cpu  13013 0 3823 173582 236 0 187 12 0 0  ->  cpu  13013 0 3824 173781 236 0 187 12 0 0
        assertEquals(new CpuTimes(17035, 190853), idle1);
        assertEquals(1.0 / 200, idle2.busySince(idle1), 1e-12, "1 busy jiffy of 200");
        CpuTimes busy1 = CpuTimes.parse(res("stat-busy-1.txt"));
        CpuTimes busy2 = CpuTimes.parse(res("stat-busy-2.txt"));
        assertEquals(1.0, busy2.busySince(busy1), 1e-12, "both cores busy: no idle or iowait jiffies passed");
        assertTrue(Double.isNaN(idle1.busySince(idle1)), "no time passed: no figure");
        assertTrue(Double.isNaN(idle1.busySince(idle2)), "counters going back: no figure");
    }

    @Test
    void memoryFromRecordedMeminfo() throws IOException {
        MemInfo m = MemInfo.parse(res("meminfo.txt"));
        assertEquals(new MemInfo(24684092, 24291888), m);
        assertEquals(392204.0 / 24684092, m.used(), 1e-12);
        // Kernels without MemAvailable: MemFree + Buffers + Cached.
        MemInfo old = MemInfo.parse("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n");
        assertEquals(0.6, old.used(), 1e-12);
    }

    @Test
    void badProcTextGivesClearErrors() {
        assertEquals(
                "/proc/stat has no aggregate 'cpu' line",
                assertThrows(IllegalArgumentException.class, () -> CpuTimes.parse("intr 1 2 3\n"))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuTimes.parse("cpu  1 x 3 4\n"))
                .getMessage()
                .contains("field 2 is not a number"));
        assertEquals(
                "/proc/meminfo has no positive MemTotal",
                assertThrows(IllegalArgumentException.class, () -> MemInfo.parse("MemFree: 1 kB\n"))
                        .getMessage());
    }

    @Test
    void scoreIsTheFullestResource() {
        assertEquals(100, LoadScore.score(false, 0, 0, 0, 0, S), "Asterisk unavailable counts as full");
        assertEquals(0, LoadScore.score(true, 0, 0, 0, 0, S));
        assertEquals(25, LoadScore.score(true, 50, 0.1, 0.2, 3, S), "50 of 200 calls");
        assertEquals(50, LoadScore.score(true, 10, 0.45, 0.2, 3, S), "CPU 45 % of the 90 % ceiling");
        assertEquals(80, LoadScore.score(true, 10, 0.1, 0.76, 3, S), "memory 76 % of the 95 % ceiling");
        assertEquals(40, LoadScore.score(true, 10, 0.1, 0.2, 40, S), "40 of 100 FastAGI sessions");
        assertEquals(100, LoadScore.score(true, 450, 0.1, 0.2, 3, S), "over capacity is capped at 100");
        assertEquals(100, LoadScore.score(true, 0, 1.0, 0, 0, S), "CPU above the ceiling is full");
        assertEquals(0, LoadScore.score(true, 0, Double.NaN, 0, 0, S), "no CPU figure yet counts as idle");
    }

    @Test
    void hysteresisIgnoresNoiseButFollowsRealChanges() {
        ScoreHysteresis h = new ScoreHysteresis(S);
        assertEquals(30, h.offer(30, false), "first value is published");
        Random noise = new Random(42);
        List<Integer> published = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            published.add(h.offer(30 + noise.nextInt(9) - 4, false)); // 26..34
        }
        assertTrue(published.stream().allMatch(p -> p == 30), "noise of +-4 never moves a score of 30");
        assertEquals(36, h.offer(36, false), "a move of 6 (>= 5 points) is published");
        assertEquals(100, h.offer(100, false));
        assertEquals(100, h.offer(97, false), "a drop of 3 is noise");
        assertEquals(93, h.offer(93, false), "falls below the 95 threshold by more than the band");
    }

    @Test
    void thresholdCrossingPublishesOnceAndDoesNotFlap() {
        ScoreHysteresis h = new ScoreHysteresis(S);
        h.offer(77, false);
        assertEquals(80, h.offer(80, false), "crossing 80 upward is published even though it moved only 3");
        int changes = 0;
        int last = 80;
        for (int i = 0; i < 100; i++) {
            int p = h.offer(i % 2 == 0 ? 79 : 80, false); // wobbling on the threshold
            if (p != last) {
                changes++;
                last = p;
            }
        }
        assertEquals(0, changes, "wobbling on the threshold does not flap");
        assertEquals(80, h.offer(78, false), "78 is within the band below 80");
        assertEquals(77, h.offer(77, false), "77 is below 80 by more than the band of 2");
        assertEquals(77, h.offer(74, false), "a move of 3 without a crossing is noise");
        assertEquals(74, h.offer(74, true), "forced (availability change) always publishes");
    }

    @Test
    void settingsNameTheBadKey() {
        assertEquals(
                "load.max-calls must be positive, was 0",
                assertThrows(IllegalArgumentException.class, () -> LoadSettings.defaults(0))
                        .getMessage());
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new LoadSettings(10, 5, 0.9, 0.9, 1, 5, new int[] {50}, 2))
                .getMessage()
                .startsWith("load.interval-ms"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new LoadSettings(1000, 5, 1.5, 0.9, 1, 5, new int[] {50}, 2))
                .getMessage()
                .startsWith("load.cpu-full"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new LoadSettings(1000, 5, 0.9, 0.9, 1, 5, new int[] {150}, 2))
                .getMessage()
                .startsWith("load.thresholds"));
    }
}
