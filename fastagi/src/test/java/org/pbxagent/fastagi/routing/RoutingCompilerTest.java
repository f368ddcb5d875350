package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;
import org.pbxagent.fastagi.data.RoutingData;

/** The compiler on rows held in memory: what it refuses, what it says about it, and that what it keeps routes. */
class RoutingCompilerTest {
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);

    /** Rows of one compilation; each test adds what it needs to a tenant that routes DID 8100 to extension 1000. */
    private static final class Rows {
        final List<RoutingData.Tenant> tenants = new ArrayList<>(List.of(new RoutingData.Tenant("acme", "UTC")));
        final List<RoutingData.Extension> extensions = new ArrayList<>(List.of(extension("acme", "1000")));
        final List<RoutingData.TimeCondition> conditions = new ArrayList<>();
        final List<RoutingData.RingGroup> groups = new ArrayList<>();
        final List<RoutingData.InboundRoute> routes =
                new ArrayList<>(List.of(inbound("acme", "good", "8100", "EXTENSION", "1000")));
        final List<RoutingData.BlockedCaller> blocked = new ArrayList<>();

        RoutingData data() {
            return new RoutingData(
                    7, 0, tenants, extensions, conditions, groups, List.of(), routes, List.of(), List.of(), blocked);
        }
    }

    private static RoutingData.Extension extension(String tenant, String number) {
        return new RoutingData.Extension(
                tenant,
                number,
                "PJSIP/" + tenant + "-" + number,
                "Phone " + number,
                null,
                false,
                null,
                null,
                null,
                20,
                0,
                null);
    }

    private static RoutingData.InboundRoute inbound(String tenant, String name, String did, String type, String ref) {
        return new RoutingData.InboundRoute(tenant, name, did, null, 10, new RoutingData.Destination(type, ref));
    }

    private static RouteDecision call(RoutingSnapshot s, String tenant, String did) {
        CallRouter router = new CallRouter(new CallRouter.State(s, false), NOON);
        return router.route(Calls.request("route?tenant=" + tenant + "&did=" + did, "5550001"));
    }

    private static void assertNoRoute(RouteDecision d) {
        assertEquals("HANGUP", d.get(RouteVariable.ACTION), d.toString());
        assertEquals("no-route", d.get(RouteVariable.REASON), d.toString());
    }

    @Test
    void anAcceptedTenantRoutesItsCalls() {
        RoutingSnapshot s = RoutingCompiler.compile(new Rows().data());

        assertEquals(List.of(), s.problems());
        assertEquals(Set.of("acme"), s.tenantNames());
        assertEquals(7, s.version());
        RouteDecision d = call(s, "acme", "8100");
        assertEquals("DIAL", d.get(RouteVariable.ACTION), d.toString());
        assertEquals("PJSIP/acme-1000", d.get(RouteVariable.TARGET));
        assertEquals("20", d.get(RouteVariable.TIMEOUT));
        assertEquals("ext:1000", d.get(RouteVariable.STEP));
        assertEquals("route:good", d.get(RouteVariable.REASON));
        assertEquals("acme", d.get(RouteVariable.TENANT));
    }

    @Test
    void plainNumbersWrittenWithSeparatorsMatchAsInAsterisk() {
        Rows rows = new Rows();
        rows.routes.set(0, inbound("acme", "good", "8-100", "EXTENSION", "1000"));
        rows.blocked.add(new RoutingData.BlockedCaller("acme", "555-0001", "nuisance"));
        RoutingSnapshot s = RoutingCompiler.compile(rows.data());

        assertEquals(
                List.of(
                        "tenant acme: inbound route good: DID '8-100' matches as 8100 ('-' is a separator, as in Asterisk; kept)",
                        "tenant acme: blocked caller 555-0001: number '555-0001' matches as 5550001"
                                + " ('-' is a separator, as in Asterisk; kept)"),
                s.problems());
        CallRouter router = new CallRouter(new CallRouter.State(s, false), NOON);
        RouteDecision blockedCall = router.route(Calls.request("route?tenant=acme&did=8100", "5550001"));
        assertEquals("HANGUP", blockedCall.get(RouteVariable.ACTION), blockedCall.toString());
        assertEquals("blocked", blockedCall.get(RouteVariable.REASON), blockedCall.toString());
        RouteDecision d = router.route(Calls.request("route?tenant=acme&did=8100", "5550002"));
        assertEquals("DIAL", d.get(RouteVariable.ACTION), d.toString());
        assertEquals("PJSIP/acme-1000", d.get(RouteVariable.TARGET));
    }

    @Test
    void aRefusedTenantLeavesNothingBehind() {
        Rows rows = new Rows();
        rows.tenants.add(new RoutingData.Tenant("bad name", "UTC"));
        // the refused tenant's rows use the same numbers as the accepted one: none of them may land there
        rows.extensions.add(new RoutingData.Extension(
                "bad name", "1000", "PJSIP/intruder", "X", null, false, null, null, null, 20, 0, null));
        rows.routes.add(inbound("bad name", "good", "8100", "EXTENSION", "1000"));
        rows.routes.add(inbound("bad name", "extra", "8200", "EXTENSION", "1000"));
        RoutingSnapshot s = RoutingCompiler.compile(rows.data());

        assertEquals(
                List.of("tenant 'bad name': name must be 1-64 of A-Z a-z 0-9 _ . - (refused)"),
                s.problems(),
                "one line for the tenant, none for the rows dropped with it");
        assertEquals(Set.of("acme"), s.tenantNames());
        assertNull(s.tenant("bad name"));
        assertEquals("PJSIP/acme-1000", call(s, "acme", "8100").get(RouteVariable.TARGET));
        assertNoRoute(call(s, "acme", "8200"));

        // the next compilation, of the good rows alone, carries nothing of the one before
        RoutingSnapshot next = RoutingCompiler.compile(new Rows().data());
        assertEquals(List.of(), next.problems());
        assertEquals(Set.of("acme"), next.tenantNames());
    }

    @Test
    void dataWhoseEveryTenantIsRefusedIsRefusedWhole() {
        Rows rows = new Rows();
        rows.tenants.set(0, new RoutingData.Tenant("bad name", "UTC"));
        RoutingSnapshotException e =
                assertThrows(RoutingSnapshotException.class, () -> RoutingCompiler.compile(rows.data()));
        assertEquals(
                "routing data has no usable tenant: tenant 'bad name': name must be 1-64 of A-Z a-z 0-9 _ . -"
                        + " (refused)",
                e.getMessage());
    }

    @Test
    void aLoopIsRefusedWithAMessageNamingIt() {
        Rows rows = new Rows();
        rows.routes.add(inbound("acme", "loop-a", "8002", "ROUTE", "loop-b"));
        rows.routes.add(inbound("acme", "loop-b", null, "TIME_CONDITION", "tc-loop"));
        rows.routes.add(inbound("acme", "via-loop", "8003", "ROUTE", "loop-b"));
        rows.conditions.add(new RoutingData.TimeCondition(
                "acme",
                "tc-loop",
                null,
                new RoutingData.Destination("ROUTE", "loop-a"),
                new RoutingData.Destination("EXTENSION", "1000"),
                List.of(new RoutingData.TimeRange(2, "00:00", "24:00")),
                List.of()));
        RoutingSnapshot s = RoutingCompiler.compile(rows.data());

        assertEquals(
                List.of(
                        "tenant acme: loop: route loop-a -> route loop-b -> time condition tc-loop -> route loop-a"
                                + " (every entry on it refused)",
                        "tenant acme: inbound route via-loop: points at ROUTE loop-b which does not exist or is refused"
                                + " (refused)"),
                s.problems());
        assertNoRoute(call(s, "acme", "8002"));
        assertNoRoute(call(s, "acme", "8003"));
        assertEquals(
                "PJSIP/acme-1000",
                call(s, "acme", "8100").get(RouteVariable.TARGET),
                "the rest of the tenant keeps routing");
    }

    @Test
    void aDestinationThatDoesNotExistIsRefused() {
        Rows rows = new Rows();
        rows.routes.add(inbound("acme", "missing", "8000", "EXTENSION", "9999"));
        rows.routes.add(inbound("acme", "via-missing", "8001", "ROUTE", "missing"));
        rows.groups.add(new RoutingData.RingGroup(
                "acme",
                "800",
                "Sales",
                "RINGALL",
                20,
                new RoutingData.Destination("QUEUE", "nosuchqueue"),
                List.of("1000")));
        RoutingSnapshot s = RoutingCompiler.compile(rows.data());

        assertEquals(
                List.of(
                        "tenant acme: inbound route missing: destination points at extension 9999 which does not exist"
                                + " (refused)",
                        "tenant acme: ring group 800: points at QUEUE nosuchqueue which does not exist or is refused"
                                + " (refused)",
                        "tenant acme: inbound route via-missing: points at ROUTE missing which does not exist or is refused"
                                + " (refused)"),
                s.problems());
        assertNoRoute(call(s, "acme", "8000"));
        assertNoRoute(call(s, "acme", "8001"));
        assertNoRoute(call(s, "acme", "800"));
        assertEquals("PJSIP/acme-1000", call(s, "acme", "8100").get(RouteVariable.TARGET));
    }

    @Test
    void theSnapshotCannotBeChangedByItsReaders() {
        RoutingSnapshot s = RoutingCompiler.compile(new Rows().data());
        assertThrows(UnsupportedOperationException.class, () -> s.tenantNames().remove("acme"));
        assertThrows(UnsupportedOperationException.class, () -> s.problems().add("tenant acme: made up"));
        assertTrue(s.tenantNames().contains("acme"));
    }
}
