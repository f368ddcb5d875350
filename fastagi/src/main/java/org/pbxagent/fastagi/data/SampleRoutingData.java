package org.pbxagent.fastagi.data;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Sample routing data for the demo and the tests: tenant {@code default} (single organisation) and tenant
 * {@code acme} with extensions, DIDs, business hours with a holiday, ring groups, a queue, two trunks with failover
 * and a blocklist. Idempotent: a tenant that already exists is left as it is.
 *
 * <p>acme, Europe/Berlin:
 * <ul>
 *   <li>DID 100 → extension 1001 (SIP/1001), as in the recorded Asterisk session</li>
 *   <li>DID 4930555000 → time condition business-hours (Mon–Fri 08:00–18:00, closed 2026-12-25, open Sat
 *       2026-12-19 as a special day): open → ring group 600 (ring all 1001, 1002, 1003), closed → route after-hours
 *       → voicemail of 1001; calls from {@code _0171XXXXXXX} on the same DID go to 1002 directly</li>
 *   <li>DIDs {@code _[2-5]00} → ring group 601 (hunt 1002, 1003) → queue support → voicemail 1003</li>
 *   <li>DIDs {@code _NXXNXXXXXX} → route main; DID 199 → playback then hang up; anything else ({@code _X.}) → hang
 *       up with cause 1 (unallocated number)</li>
 *   <li>outbound: emergency 110/112 via carrier-a; pstn {@code _0.} and {@code _9.} (strip 1) via carrier-a then
 *       carrier-b, caller ID 4930555000 "ACME"</li>
 *   <li>blocked callers: 5550000 and {@code _0900.}</li>
 * </ul>
 */
public final class SampleRoutingData {
    private SampleRoutingData() {}

    public static void load(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (tenantId(c, "default") == null) {
                    loadDefault(c);
                }
                if (tenantId(c, "acme") == null) {
                    loadAcme(c);
                }
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

    private static void loadDefault(Connection c) throws SQLException {
        long t = insert(c, "INSERT INTO tenant (name, time_zone) VALUES (?, ?)", "default", "UTC");
        extension(c, t, "1001", "PJSIP/1001", "Reception", "1001@default", null, null, null, 20, 0);
        extension(c, t, "1002", "PJSIP/1002", "Office 2", "1002@default", null, null, null, 20, 0);
        extension(c, t, "1003", "PJSIP/1003", "Office 3", null, null, null, null, 20, 0);
        inbound(c, t, "main", "100", null, 10, "EXTENSION", "1001");
        long trunk = insert(c, "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)",
                t, "provider", "PJSIP/{number}@provider");
        long route = insert(c, "INSERT INTO outbound_route (tenant_id, name, priority) VALUES (?, ?, ?)",
                t, "pstn", 10);
        insert(c, "INSERT INTO outbound_pattern (outbound_route_id, pattern, strip_digits, prepend) VALUES (?, ?, ?, ?)",
                route, "_0.", 0, "");
        insert(c, "INSERT INTO outbound_route_trunk (outbound_route_id, position, trunk_id) VALUES (?, ?, ?)",
                route, 1, trunk);
    }

    private static void loadAcme(Connection c) throws SQLException {
        long t = insert(c, "INSERT INTO tenant (name, time_zone) VALUES (?, ?)", "acme", "Europe/Berlin");
        long e1 = extension(c, t, "1001", "SIP/1001", "Alice", "1001@acme", null, null, null, 20, 2);
        long e2 = extension(c, t, "1002", "SIP/1002", "Bob", "1002@acme", null, "1003", "1003", 15, 0);
        long e3 = extension(c, t, "1003", "SIP/1003", "Carol", "1003@acme", null, null, null, 20, 0);

        long bh = insert(c, "INSERT INTO time_condition (tenant_id, name, time_zone, match_type, match_ref, else_type,"
                + " else_ref) VALUES (?, ?, ?, ?, ?, ?, ?)", t, "business-hours", null, "RING_GROUP", "600", "ROUTE",
                "after-hours");
        for (int day = 1; day <= 5; day++) {
            insert(c, "INSERT INTO time_range (time_condition_id, day_of_week, start_time, end_time) VALUES (?, ?, ?, ?)",
                    bh, day, "08:00:00", "18:00:00");
        }
        insert(c, "INSERT INTO time_exception (time_condition_id, on_date, is_open, name) VALUES (?, ?, ?, ?)",
                bh, "2026-12-25", false, "Christmas Day");
        insert(c, "INSERT INTO time_exception (time_condition_id, on_date, is_open, name) VALUES (?, ?, ?, ?)",
                bh, "2026-12-19", true, "Saturday before Christmas");

        long g600 = insert(c, "INSERT INTO ring_group (tenant_id, number, name, strategy, ring_time, no_answer_type,"
                + " no_answer_ref) VALUES (?, ?, ?, ?, ?, ?, ?)", t, "600", "Reception", "RINGALL", 25, "VOICEMAIL", "1001");
        member(c, g600, 1, e1);
        member(c, g600, 2, e2);
        member(c, g600, 3, e3);
        long g601 = insert(c, "INSERT INTO ring_group (tenant_id, number, name, strategy, ring_time, no_answer_type,"
                + " no_answer_ref) VALUES (?, ?, ?, ?, ?, ?, ?)", t, "601", "Sales", "HUNT", 15, "QUEUE", "support");
        member(c, g601, 1, e2);
        member(c, g601, 2, e3);
        insert(c, "INSERT INTO call_queue (tenant_id, name, asterisk_queue, max_wait, fail_type, fail_ref)"
                + " VALUES (?, ?, ?, ?, ?, ?)", t, "support", "acme-support", 300, "VOICEMAIL", "1003");

        inbound(c, t, "did-100", "100", null, 10, "EXTENSION", "1001");
        inbound(c, t, "main-vip", "4930555000", "_0171XXXXXXX", 10, "EXTENSION", "1002");
        inbound(c, t, "main", "4930555000", null, 20, "TIME_CONDITION", "business-hours");
        inbound(c, t, "after-hours", null, null, 100, "VOICEMAIL", "1001");
        inbound(c, t, "sales", "_[2-5]00", null, 30, "RING_GROUP", "601");
        inbound(c, t, "announcement", "199", null, 30, "PLAYBACK", "ss-noservice");
        inbound(c, t, "national", "_NXXNXXXXXX", null, 50, "ROUTE", "main");
        inbound(c, t, "unallocated", "_X.", null, 1000, "HANGUP", "1");

        long ka = insert(c, "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)",
                t, "carrier-a", "SIP/carrier-a/{number}");
        long kb = insert(c, "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)",
                t, "carrier-b", "SIP/carrier-b/{number}");
        long emergency = insert(c, "INSERT INTO outbound_route (tenant_id, name, priority) VALUES (?, ?, ?)",
                t, "emergency", 1);
        pattern(c, emergency, "110", 0, "");
        pattern(c, emergency, "112", 0, "");
        routeTrunk(c, emergency, 1, ka);
        long pstn = insert(c, "INSERT INTO outbound_route (tenant_id, name, priority, caller_id_number, caller_id_name)"
                + " VALUES (?, ?, ?, ?, ?)", t, "pstn", 10, "4930555000", "ACME");
        pattern(c, pstn, "_0.", 0, "");
        pattern(c, pstn, "_9.", 1, "");
        routeTrunk(c, pstn, 1, ka);
        routeTrunk(c, pstn, 2, kb);

        insert(c, "INSERT INTO blocked_caller (tenant_id, pattern, reason) VALUES (?, ?, ?)", t, "5550000", "spam");
        insert(c, "INSERT INTO blocked_caller (tenant_id, pattern, reason) VALUES (?, ?, ?)", t, "_0900.",
                "premium-rate callers");
    }

    private static long extension(Connection c, long tenant, String number, String endpoint, String name, String box,
                                  String fwdAlways, String fwdBusy, String fwdNoAnswer, int ringTime, int limit)
            throws SQLException {
        return insert(c, "INSERT INTO extension (tenant_id, number, endpoint, display_name, voicemail_box,"
                        + " forward_always, forward_busy, forward_no_answer, ring_time, call_limit)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tenant, number, endpoint, name, box, fwdAlways, fwdBusy, fwdNoAnswer, ringTime, limit);
    }

    private static void inbound(Connection c, long tenant, String name, String did, String cid, int priority,
                                String type, String ref) throws SQLException {
        insert(c, "INSERT INTO inbound_route (tenant_id, name, did_pattern, caller_id_pattern, priority, dest_type,"
                + " dest_ref) VALUES (?, ?, ?, ?, ?, ?, ?)", tenant, name, did, cid, priority, type, ref);
    }

    private static void member(Connection c, long group, int position, long extension) throws SQLException {
        insert(c, "INSERT INTO ring_group_member (ring_group_id, position, extension_id) VALUES (?, ?, ?)",
                group, position, extension);
    }

    private static void pattern(Connection c, long route, String pattern, int strip, String prepend)
            throws SQLException {
        insert(c, "INSERT INTO outbound_pattern (outbound_route_id, pattern, strip_digits, prepend) VALUES (?, ?, ?, ?)",
                route, pattern, strip, prepend);
    }

    private static void routeTrunk(Connection c, long route, int position, long trunk) throws SQLException {
        insert(c, "INSERT INTO outbound_route_trunk (outbound_route_id, position, trunk_id) VALUES (?, ?, ?)",
                route, position, trunk);
    }

    private static Long tenantId(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM tenant WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** Parameterised insert; returns the generated key (0 for tables without one). */
    static long insert(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        }
    }
}
