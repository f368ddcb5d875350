package org.pbxagent.fastagi.data;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.pbxagent.fastagi.data.RoutingData.BlockedCaller;
import org.pbxagent.fastagi.data.RoutingData.CallQueue;
import org.pbxagent.fastagi.data.RoutingData.Destination;
import org.pbxagent.fastagi.data.RoutingData.DialPattern;
import org.pbxagent.fastagi.data.RoutingData.Extension;
import org.pbxagent.fastagi.data.RoutingData.InboundRoute;
import org.pbxagent.fastagi.data.RoutingData.IvrMenu;
import org.pbxagent.fastagi.data.RoutingData.IvrOption;
import org.pbxagent.fastagi.data.RoutingData.OutboundRoute;
import org.pbxagent.fastagi.data.RoutingData.RingGroup;
import org.pbxagent.fastagi.data.RoutingData.Tenant;
import org.pbxagent.fastagi.data.RoutingData.TimeCondition;
import org.pbxagent.fastagi.data.RoutingData.TimeException;
import org.pbxagent.fastagi.data.RoutingData.TimeRange;
import org.pbxagent.fastagi.data.RoutingData.Trunk;

/**
 * Sample routing data for the tests and the benchmarks (the demo loads the documents of {@code etc/routing/}): tenant {@code default} (single organisation) and
 * tenant {@code acme}. The same data is available in memory ({@link #data()}, no DB needed) and in the DB
 * ({@link #load}, idempotent: a tenant that already exists is left as it is).
 *
 * <p>acme, Europe/Berlin:
 * <ul>
 *   <li>DID 100 → extension 1001 (SIP/1001), as in the recorded Asterisk session</li>
 *   <li>DID 4930555000 → time condition business-hours (Mon–Fri 08:00–18:00, closed 2026-12-25, open Saturday
 *       2026-12-19 as a special day): open → ring group 600 (ring all 1001, 1002, 1003), closed → route after-hours
 *       → voicemail of 1001; calls from {@code _0171XXXXXXX} to the same DID go to 1002 directly</li>
 *   <li>DIDs {@code _[2-5]00} → ring group 601 (hunt 1002, 1003) → queue support → voicemail 1003</li>
 *   <li>DIDs {@code _NXXNXXXXXX} → route main; DID 199 → playback then hang up; anything else ({@code _X.}) → hang
 *       up with cause 1 (unallocated number)</li>
 *   <li>1002 forwards to 1003 on busy and on no answer; 1001 takes at most 2 simultaneous calls</li>
 *   <li>outbound: emergency 110/112 via carrier-a; pstn {@code _0.} and {@code _9.} (strip 1) via carrier-a then
 *       carrier-b, caller ID 4930555000 "ACME"</li>
 *   <li>blocked callers: 5550000 and {@code _0900.}</li>
 * </ul>
 */
public final class SampleRoutingData {
    private SampleRoutingData() {}

    /** Writes the sample tenants that are missing, in one transaction. */
    public static void load(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                RoutingDataWriter.insertMissingTenants(c, data());
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new RoutingDataException("loading sample routing data failed: " + e.getMessage(), e);
        }
    }

    /** The sample data in memory, e.g. for {@code RoutingCompiler.compile(SampleRoutingData.data())}. */
    public static RoutingData data() {
        List<Tenant> tenants = List.of(new Tenant("default", "UTC"), new Tenant("acme", "Europe/Berlin"));
        List<Extension> ext = List.of(
                new Extension(
                        "default",
                        "1001",
                        "PJSIP/1001",
                        "Reception",
                        "1001@default",
                        false,
                        null,
                        null,
                        null,
                        20,
                        0,
                        null),
                new Extension(
                        "default",
                        "1002",
                        "PJSIP/1002",
                        "Office 2",
                        "1002@default",
                        false,
                        null,
                        null,
                        null,
                        20,
                        0,
                        null),
                new Extension("default", "1003", "PJSIP/1003", "Office 3", null, false, null, null, null, 20, 0, null),
                new Extension("acme", "1001", "SIP/1001", "Alice", "1001@acme", false, null, null, null, 20, 2, null),
                new Extension("acme", "1002", "SIP/1002", "Bob", "1002@acme", false, null, "1003", "1003", 15, 0, null),
                new Extension("acme", "1003", "SIP/1003", "Carol", "1003@acme", false, null, null, null, 20, 0, null));
        List<TimeRange> weekdays = new ArrayList<>();
        for (int day = 1; day <= 5; day++) {
            weekdays.add(new TimeRange(day, "08:00:00", "18:00:00"));
        }
        List<TimeCondition> conditions = List.of(new TimeCondition(
                "acme",
                "business-hours",
                null,
                dest("RING_GROUP", "600"),
                dest("ROUTE", "after-hours"),
                weekdays,
                List.of(
                        new TimeException("2026-12-19", true, "Saturday before Christmas"),
                        new TimeException("2026-12-25", false, "Christmas Day"))));
        List<RingGroup> groups = List.of(
                new RingGroup(
                        "acme",
                        "600",
                        "Reception",
                        "RINGALL",
                        25,
                        dest("VOICEMAIL", "1001"),
                        List.of("1001", "1002", "1003")),
                new RingGroup("acme", "601", "Sales", "HUNT", 15, dest("QUEUE", "support"), List.of("1002", "1003")));
        List<CallQueue> queues =
                List.of(new CallQueue("acme", "support", "acme-support", 300, dest("VOICEMAIL", "1003")));
        List<InboundRoute> inbound = List.of(
                new InboundRoute("default", "main", "100", null, 10, dest("EXTENSION", "1001")),
                new InboundRoute("acme", "did-100", "100", null, 10, dest("EXTENSION", "1001")),
                new InboundRoute("acme", "menu", "4930555099", null, 10, dest("IVR", "main-menu")),
                new InboundRoute("acme", "main-vip", "4930555000", "_0171XXXXXXX", 10, dest("EXTENSION", "1002")),
                new InboundRoute("acme", "main", "4930555000", null, 20, dest("TIME_CONDITION", "business-hours")),
                new InboundRoute("acme", "after-hours", null, null, 100, dest("VOICEMAIL", "1001")),
                new InboundRoute("acme", "sales", "_[2-5]00", null, 30, dest("RING_GROUP", "601")),
                new InboundRoute("acme", "announcement", "199", null, 30, dest("PLAYBACK", "ss-noservice")),
                new InboundRoute("acme", "national", "_NXXNXXXXXX", null, 50, dest("ROUTE", "main")),
                new InboundRoute("acme", "unallocated", "_X.", null, 1000, dest("HANGUP", "1")));
        List<Trunk> trunks = List.of(
                new Trunk("default", "provider", "PJSIP/{number}@provider"),
                new Trunk("acme", "carrier-a", "SIP/carrier-a/{number}"),
                new Trunk("acme", "carrier-b", "SIP/carrier-b/{number}"));
        List<OutboundRoute> outbound = List.of(
                new OutboundRoute(
                        "default",
                        "pstn",
                        10,
                        null,
                        null,
                        120,
                        List.of(new DialPattern("_0.", 0, "")),
                        List.of("provider")),
                new OutboundRoute(
                        "acme",
                        "emergency",
                        1,
                        null,
                        null,
                        120,
                        List.of(new DialPattern("110", 0, ""), new DialPattern("112", 0, "")),
                        List.of("carrier-a")),
                new OutboundRoute(
                        "acme",
                        "pstn",
                        10,
                        "4930555000",
                        "ACME",
                        120,
                        List.of(new DialPattern("_0.", 0, ""), new DialPattern("_9.", 1, "")),
                        List.of("carrier-a", "carrier-b")));
        List<BlockedCaller> blocked = List.of(
                new BlockedCaller("acme", "5550000", "spam"),
                new BlockedCaller("acme", "_0900.", "premium-rate callers"));
        // The main menu: 1 sales, 2 the support menu, 0 reception, or an extension number dialled directly.
        List<IvrMenu> menus = List.of(
                new IvrMenu(
                        "acme",
                        "main-menu",
                        "acme/welcome",
                        "option-is-invalid",
                        null,
                        5,
                        2,
                        2,
                        true,
                        dest("VOICEMAIL", "1001"),
                        dest("RING_GROUP", "600"),
                        List.of(
                                new IvrOption("0", dest("EXTENSION", "1001")),
                                new IvrOption("1", dest("RING_GROUP", "601")),
                                new IvrOption("2", dest("IVR", "support-menu")))),
                new IvrMenu(
                        "acme",
                        "support-menu",
                        "acme/support",
                        null,
                        "acme/please-choose",
                        4,
                        1,
                        1,
                        false,
                        dest("IVR", "main-menu"),
                        dest("QUEUE", "support"),
                        List.of(
                                new IvrOption("1", dest("QUEUE", "support")),
                                new IvrOption("9", dest("IVR", "main-menu")))));
        return new RoutingData(
                0, 0, tenants, ext, conditions, groups, queues, inbound, trunks, outbound, blocked, menus);
    }

    private static Destination dest(String type, String ref) {
        return new Destination(type, ref);
    }

    /** Parameterised insert for tests that add their own rows; returns the generated key. */
    static long insert(Connection c, String sql, Object... args) throws SQLException {
        return RoutingDataWriter.insert(c, sql, args);
    }
}
