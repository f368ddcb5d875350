package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
            changed.add(e.tenant().equals("acme") && e.number().equals("1001")
                    ? new RoutingData.Extension("acme", "1001", "PJSIP/alice-mobile", e.displayName(), e.voicemailBox(),
                    false, null, null, null, 33, 0, null)
                    : e);
        }
        RoutingData b = new RoutingData(2, 0, a.tenants(), changed, a.timeConditions(), a.ringGroups(), a.queues(),
                a.inboundRoutes(), a.trunks(), a.outboundRoutes(), a.blockedCallers());
        CallRouter.State stateA = new CallRouter.State(RoutingSnapshot.build(a), false);
        CallRouter.State stateB = new CallRouter.State(RoutingSnapshot.build(b), true);
        CallRouter router = new CallRouter(stateA, Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));

        AgiRequest call = Calls.request("route?tenant=acme&did=100", "5550001");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 200_000 && !stop.get(); i++) {
                    RouteDecision d = router.route(call);
                    seen.add(d.get("ROUTE_TARGET") + "|" + d.get("ROUTE_TIMEOUT") + "|" + d.get("ROUTE_LIMIT") + "|"
                            + d.get("ROUTE_DEGRADED"));
                }
            });
            callers.add(th);
            th.start();
        }
        for (int i = 0; i < 20_000; i++) {
            router.update(i % 2 == 0 ? stateB : stateA);
        }
        stop.set(true);
        for (Thread th : callers) {
            th.join(10_000);
        }
        assertTrue(Set.of("SIP/1001|20|2|0", "PJSIP/alice-mobile|33|null|1").containsAll(seen), seen.toString());
        router.update(stateB);
        assertEquals("PJSIP/alice-mobile", router.route(call).get("ROUTE_TARGET"));
    }
}
