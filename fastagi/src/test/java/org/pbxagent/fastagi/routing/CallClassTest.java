package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingDataWriter;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.data.TestDatabase;
import org.pbxagent.fastagi.server.FastAgiServer;
import org.pbxagent.fastagi.server.FastAgiServerSettings;

/**
 * Call rights on acme's sample data plus an international route: 1003 is in class {@code local} (emergency and pstn),
 * 1002 names a class that does not exist, 1001 has none. Outbound calls go through the res_agi-faithful client; the
 * classes also go through the real schema (MariaDB) and back.
 */
class CallClassTest {
    static RoutingData data() {
        RoutingData s = SampleRoutingData.data();
        List<RoutingData.Extension> ext = new ArrayList<>();
        for (RoutingData.Extension e : s.extensions()) {
            if ("acme".equals(e.tenant()) && "1003".equals(e.number())) {
                ext.add(e.withCallClass("local"));
            } else if ("acme".equals(e.tenant()) && "1002".equals(e.number())) {
                ext.add(e.withCallClass("no-such-class"));
            } else {
                ext.add(e);
            }
        }
        List<RoutingData.OutboundRoute> out = new ArrayList<>(s.outboundRoutes());
        out.add(new RoutingData.OutboundRoute(
                "acme",
                "international",
                5,
                null,
                null,
                120,
                List.of(new RoutingData.DialPattern("_00.", 0, "")),
                List.of("carrier-b")));
        List<RoutingData.CallClass> classes = List.of(
                new RoutingData.CallClass("acme", "local", null, List.of("emergency", "pstn")),
                new RoutingData.CallClass("acme", "stale", "acme/not-allowed", List.of("gone", "pstn")));
        return new RoutingData(
                s.version(),
                s.readAtMillis(),
                s.tenants(),
                ext,
                s.timeConditions(),
                s.ringGroups(),
                s.queues(),
                s.inboundRoutes(),
                s.trunks(),
                out,
                s.blockedCallers(),
                s.ivrMenus(),
                classes);
    }

    private static AgiCallResult dial(FastAgiServer server, String ext, String number) throws Exception {
        AgiCallResult r = new AgiCallClient()
                .call(
                        "127.0.0.1",
                        server.port(),
                        "outbound?tenant=acme&ext=" + ext + "&number=" + number,
                        Map.of("callerid", ext),
                        List.of(),
                        Duration.ofSeconds(20));
        assertEquals(1, r.roundTrips(), r.commands().toString());
        return r;
    }

    @Test
    void aClassRefusesTheRoutesItDoesNotAllowWithItsPromptAndReason() throws Exception {
        RoutingSnapshot snapshot = RoutingCompiler.compile(data());
        assertTrue(
                snapshot.problems()
                        .contains(
                                "tenant acme: call class stale: outbound route gone does not exist or is refused (left"
                                        + " out)"),
                snapshot.problems().toString());
        assertTrue(
                snapshot.problems()
                        .contains("tenant acme: extension 1002: call class no-such-class does not exist or is refused"
                                + " (no outbound route allowed)"),
                snapshot.problems().toString());
        CallRouter router = new CallRouter(
                new CallRouter.State(snapshot, false),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        FastAgiServer server = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0), Map.of(RoutingService.OUTBOUND, router::outbound));
        server.start();
        try {
            // 1003 (local): international refused with the default prompt, the reason naming class and route
            AgiCallResult intl = dial(server, "1003", "0044123456");
            assertEquals("PLAYBACK", intl.variable("ROUTE_ACTION"));
            assertEquals("cannot-complete-as-dialed", intl.variable("ROUTE_TARGET"));
            assertEquals("call-class:local:international", intl.variable("ROUTE_REASON"));
            // ... a national number goes out through pstn, emergency too, an extension is internal as before
            AgiCallResult national = dial(server, "1003", "030123456");
            assertEquals("DIAL", national.variable("ROUTE_ACTION"));
            assertEquals("SIP/carrier-a/030123456", national.variable("ROUTE_TARGET"));
            assertEquals("4930555000", national.variable("ROUTE_CALLERID_NUM"));
            assertEquals("DIAL", dial(server, "1003", "112").variable("ROUTE_ACTION"));
            assertEquals("SIP/1001", dial(server, "1003", "1001").variable("ROUTE_TARGET"));
            // 1001 has no class: every route, international first by priority
            AgiCallResult free = dial(server, "1001", "0044123456");
            assertEquals("SIP/carrier-b/0044123456", free.variable("ROUTE_TARGET"));
            // 1002 names a missing class: no outbound route at all (fails closed), internal calls still work
            assertEquals(
                    "call-class:no-such-class:emergency",
                    dial(server, "1002", "112").variable("ROUTE_REASON"));
            assertEquals("SIP/1003", dial(server, "1002", "1003").variable("ROUTE_TARGET"));
        } finally {
            server.close();
        }
    }

    @Test
    void classesGoThroughTheSchemaAndBackUnchangedAndEveryWriteBumpsTheVersion() throws Exception {
        try (TestDatabase db = TestDatabase.start()) {
            RoutingSchema.migrate(db.dataSource());
            RoutingData in = data();
            try (Connection c = db.dataSource().getConnection()) {
                RoutingDataWriter.insertMissingTenants(c, in);
            }
            RoutingDataReader reader = new RoutingDataReader(db.dataSource());
            RoutingData back = reader.read();
            assertEquals(in.callClasses(), back.callClasses());
            assertEquals(
                    in.extensions().stream()
                            .map(RoutingData.Extension::callClass)
                            .toList(),
                    back.extensions().stream()
                            .sorted((a, b) ->
                                    in.extensions().indexOf(a) - in.extensions().indexOf(b))
                            .map(RoutingData.Extension::callClass)
                            .toList());
            long v = reader.version();
            db.update("UPDATE call_class SET refusal_prompt = 'acme/no' WHERE name = 'local'");
            assertEquals(v + 1, reader.version());
            db.update("DELETE FROM call_class_route WHERE route_name = 'gone'");
            assertEquals(v + 2, reader.version());
            db.update("INSERT INTO call_class_route (call_class_id, route_name)"
                    + " SELECT id, 'international' FROM call_class WHERE name = 'local'");
            assertEquals(v + 3, reader.version());
            assertEquals(
                    List.of("emergency", "international", "pstn"),
                    reader.read().callClasses().get(0).routes());
        }
    }

    @Test
    void aNodeStartedFromItsDiskSnapshotKeepsTheCallRights(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        SnapshotFile file = new SnapshotFile(dir.resolve("routing.snapshot"));
        file.write(data());
        RoutingData back = file.read();
        assertEquals(data().callClasses(), back.callClasses());
        assertEquals(data().extensions(), back.extensions());
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(back), true),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        var d = router.outbound(Calls.request("outbound?tenant=acme&ext=1003&number=0044123456", "1003"));
        assertEquals("call-class:local:international", d.get("ROUTE_REASON"), d.toString());
        assertEquals("1", d.get("ROUTE_DEGRADED"), "answered from the snapshot while the DB is away");
    }
}
