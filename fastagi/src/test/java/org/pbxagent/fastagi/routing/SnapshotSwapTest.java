package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.SampleRoutingData;

/** Snapshots swapped while calls are decided: every answer comes wholly from one snapshot, never a mix. */
class SnapshotSwapTest {
    @Test
    void eachDecisionReadsOneConsistentState() throws Exception {
        RoutingData a = SampleRoutingData.data();
        List<RoutingData.Extension> changed = new ArrayList<>();
        for (RoutingData.Extension e : a.extensions()) {
            changed.add(
                    e.tenant().equals("acme") && e.number().equals("1001")
                            ? new RoutingData.Extension(
                                    "acme",
                                    "1001",
                                    "PJSIP/alice-mobile",
                                    e.displayName(),
                                    e.voicemailBox(),
                                    false,
                                    null,
                                    null,
                                    null,
                                    33,
                                    0,
                                    null)
                            : e);
        }
        RoutingData b = new RoutingData(
                2,
                0,
                a.tenants(),
                changed,
                a.timeConditions(),
                a.ringGroups(),
                a.queues(),
                a.inboundRoutes(),
                a.trunks(),
                a.outboundRoutes(),
                a.blockedCallers());
        CallRouter.State stateA = new CallRouter.State(RoutingCompiler.compile(a), false);
        CallRouter.State stateB = new CallRouter.State(RoutingCompiler.compile(b), true);
        CallRouter router = new CallRouter(stateA, Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));

        AgiRequest call = Calls.request("route?tenant=acme&did=100", "5550001");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 2_000_000 && !stop.get(); i++) {
                        RouteDecision d = router.route(call);
                        seen.add(d.get("ROUTE_TARGET") + "|" + d.get("ROUTE_TIMEOUT") + "|" + d.get("ROUTE_LIMIT") + "|"
                                + d.get("ROUTE_DEGRADED"));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            callers.add(th);
            th.start();
        }
        Set<String> expected = Set.of("SIP/1001|20|2|0", "PJSIP/alice-mobile|33|null|1");
        // Swap at least 20,000 times, and on until the callers have seen both states (bounded by time):
        // a race check that saw only one snapshot has checked nothing.
        long until = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < 20_000 || (seen.size() < 2 && System.nanoTime() < until && failures.isEmpty()); i++) {
            router.update(i % 2 == 0 ? stateB : stateA);
        }
        stop.set(true);
        for (Thread th : callers) {
            th.join(30_000);
            assertFalse(th.isAlive(), "a caller thread did not finish");
        }
        assertEquals(List.of(), failures, "callers failed");
        assertEquals(expected, seen, "each answer wholly from one snapshot, and both snapshots seen");
        router.update(stateB);
        assertEquals("PJSIP/alice-mobile", router.route(call).get("ROUTE_TARGET"));
    }
}
