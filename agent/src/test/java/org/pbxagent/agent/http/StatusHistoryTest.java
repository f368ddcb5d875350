package org.pbxagent.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The plots' history: rates from the decision counters, gaps where a figure does not exist, a fixed size. */
class StatusHistoryTest {
    @Test
    void decisionAndDegradedRatesComeFromTheCountersAndMissingFiguresAreGaps() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Counter ok = Counter.builder("pbxagent_route_decisions")
                .tag("degraded", "false")
                .register(meters);
        Counter degraded = Counter.builder("pbxagent_route_decisions")
                .tag("degraded", "true")
                .register(meters);
        StatusHistory h = new StatusHistory(meters, Clock.systemUTC());
        h.sample();
        ok.increment(30);
        degraded.increment(10);
        Thread.sleep(200);
        h.sample();
        List<StatusHistory.Point> p = h.points();
        assertEquals(2, p.size());
        assertTrue(Double.isNaN(p.get(0).decisionsPerSecond()), "no rate from one sample");
        double total = p.get(1).decisionsPerSecond();
        double bad = p.get(1).degradedPerSecond();
        // 40 decisions, 10 degraded, over the time between the two samples (at least 0.2 s)
        assertTrue(total > 0 && total <= 200.0, "decisions/s " + total);
        assertEquals(0.25, bad / total, 1e-9, "degraded share");
        assertTrue(Double.isNaN(p.get(1).score()) && Double.isNaN(p.get(1).calls()), "no load module: gaps");
    }

    @Test
    void keepsFifteenMinutesOfSamplesOldestFirst() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        Gauge.builder("pbxagent_asterisk_active_calls", calls, AtomicInteger::get)
                .register(meters);
        StatusHistory h = new StatusHistory(meters, Clock.systemUTC());
        for (int i = 0; i < StatusHistory.POINTS + 7; i++) {
            calls.set(i);
            h.sample();
        }
        List<StatusHistory.Point> p = h.points();
        assertEquals(180, p.size(), "15 min at one sample per 5 s");
        assertEquals(7, p.get(0).calls());
        assertEquals(StatusHistory.POINTS + 6, p.get(p.size() - 1).calls());
    }
}
