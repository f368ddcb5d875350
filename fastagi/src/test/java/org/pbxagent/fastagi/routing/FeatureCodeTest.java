package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.data.TestDatabase;
import org.pbxagent.fastagi.server.FastAgiServer;
import org.pbxagent.fastagi.server.FastAgiServerSettings;

/**
 * Feature codes against a real MariaDB and the real routing service, dialled through the res_agi-faithful client: the
 * change reaches the DB and, after the usual refresh, the calls; with the DB down the caller hears the refusal and
 * nothing changes.
 */
class FeatureCodeTest {
    @TempDir
    Path dir;

    private static AgiCallResult agi(FastAgiServer s, String script, String callerId) throws Exception {
        AgiCallResult r = new AgiCallClient()
                .call("127.0.0.1", s.port(), script, Map.of("callerid", callerId), List.of(), Duration.ofSeconds(30));
        assertEquals(1, r.roundTrips(), r.commands().toString());
        return r;
    }

    private static String column(TestDatabase db, String column, String number) throws Exception {
        try (Connection c = db.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT e." + column
                                + " FROM extension e JOIN tenant t ON t.id = e.tenant_id WHERE t.name = 'acme' AND e.number = ?")) {
            ps.setString(1, number);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getString(1);
            }
        }
    }

    /** Waits (bounded) until a call to 100 of acme, which rings 1001, is answered with this reason. */
    private static void awaitReason(FastAgiServer s, String reason) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            last = agi(s, "route?tenant=acme&did=100", "4930777000").variable("ROUTE_REASON");
            if (reason.equals(last)) {
                return;
            }
            Thread.sleep(50);
        }
        assertEquals(reason, last, "the snapshot did not follow the change");
    }

    @Test
    void codesChangeTheCallersOwnExtensionAndARefusalChangesNothing() throws Exception {
        try (TestDatabase db = TestDatabase.start()) {
            RoutingSchema.migrate(db.dataSource());
            SampleRoutingData.load(db.dataSource());
            RoutingService svc = new RoutingService(
                    db.dataSource(), dir.resolve("snapshot"), Duration.ofMillis(100), Clock.systemUTC());
            svc.start();
            FeatureCodes codes = new FeatureCodes(db.dataSource(), svc::router, Duration.ofSeconds(3));
            FastAgiServer server =
                    new FastAgiServer(FastAgiServerSettings.defaults().withPort(0), svc.scripts());
            server.registerDeferred(FeatureCodes.NAME, codes);
            server.start();
            try {
                // *72 + number: unconditional forward of the caller's own extension (the channel's caller ID)
                AgiCallResult on = agi(server, "feature?tenant=acme&ext=1001&code=*72&number=1003", "1001");
                assertEquals("PLAYBACK", on.variable("ROUTE_ACTION"));
                assertEquals("call-fwd-unconditional&activated", on.variable("ROUTE_TARGET"));
                assertEquals("1003", column(db, "forward_always", "1001"));
                awaitReason(server, "forward-always");
                // *73: off again
                assertEquals(
                        "call-fwd-unconditional&de-activated",
                        agi(server, "feature?tenant=acme&ext=1001&code=*73", "1001")
                                .variable("ROUTE_TARGET"));
                assertNull(column(db, "forward_always", "1001"));
                awaitReason(server, "route:did-100");
                // *78: do not disturb
                agi(server, "feature?tenant=acme&ext=1001&code=*78", "1001");
                assertEquals("1", column(db, "dnd", "1001"));
                awaitReason(server, "dnd");
                agi(server, "feature?tenant=acme&ext=1001&code=*79", "1001");
                assertEquals("0", column(db, "dnd", "1001"));
                awaitReason(server, "route:did-100");

                // no caller that is an extension, a forward to itself or nowhere: refused, nothing written
                AgiCallResult stranger = agi(server, "feature?tenant=acme&code=*78", "4930777000");
                assertEquals("cannot-complete-as-dialed", stranger.variable("ROUTE_TARGET"));
                assertEquals("feature-unknown-caller", stranger.variable("ROUTE_REASON"));
                assertEquals(
                        "feature-forward-to-self",
                        agi(server, "feature?tenant=acme&ext=1002&code=*72&number=1002", "1002")
                                .variable("ROUTE_REASON"));
                assertEquals("0", column(db, "dnd", "1001"));

                // *97: the caller's own box; *98: any box of its voicemail context; no box: refused
                AgiCallResult own = agi(server, "feature?tenant=acme&ext=1001&code=*97", "1001");
                assertEquals("VOICEMAIL_MAIN", own.variable("ROUTE_ACTION"));
                assertEquals("1001@acme", own.variable("ROUTE_TARGET"));
                assertEquals(
                        "@acme",
                        agi(server, "feature?tenant=acme&ext=1002&code=*98", "1002")
                                .variable("ROUTE_TARGET"));

                // DB down: the refusal prompt, promptly, and the change is not there when it returns
                db.stop();
                AgiCallResult down = agi(server, "feature?tenant=acme&ext=1002&code=*90&number=1001", "1002");
                assertEquals("PLAYBACK", down.variable("ROUTE_ACTION"));
                assertEquals("cannot-complete-temp-error", down.variable("ROUTE_TARGET"));
                assertEquals("feature:forward-busy-on:failed", down.variable("ROUTE_REASON"));
                // calls are still answered from the snapshot meanwhile
                assertEquals(
                        "DIAL",
                        agi(server, "route?tenant=acme&did=100", "4930777000").variable("ROUTE_ACTION"));
                db.restart();
                assertEquals("1003", column(db, "forward_busy", "1002"), "unchanged: the sample's forward on busy");
            } finally {
                server.close();
                codes.close();
                svc.close();
            }
        }
    }
}
