package org.pbxagent.fastagi.data;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes routing data (the same model the reader fills and the disk snapshot holds) into the DB: used for the sample
 * data and to import a tenant. A tenant whose name already exists is left untouched, so writing is idempotent.
 */
public final class RoutingDataWriter {
    private RoutingDataWriter() {}

    /**
     * Inserts every tenant of {@code data} that the DB does not have yet, in the caller's transaction.
     *
     * @return the names of the tenants inserted
     */
    public static List<String> insertMissingTenants(Connection c, RoutingData data) throws SQLException {
        List<String> inserted = new java.util.ArrayList<>();
        for (RoutingData.Tenant t : data.tenants()) {
            if (tenantId(c, t.name()) == null) {
                insertTenant(c, data, t);
                inserted.add(t.name());
            }
        }
        return inserted;
    }

    private static void insertTenant(Connection c, RoutingData data, RoutingData.Tenant tenant) throws SQLException {
        String name = tenant.name();
        long t = insert(c, "INSERT INTO tenant (name, time_zone) VALUES (?, ?)", name, tenant.timeZone());
        Map<String, Long> ext = new HashMap<>();
        for (RoutingData.Extension e : data.extensions()) {
            if (name.equals(e.tenant())) {
                ext.put(
                        e.number(),
                        insert(
                                c,
                                "INSERT INTO extension (tenant_id, number, endpoint, display_name,"
                                        + " voicemail_box, dnd, forward_always, forward_busy, forward_no_answer, ring_time,"
                                        + " call_limit, outbound_caller_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                t,
                                e.number(),
                                e.endpoint(),
                                e.displayName(),
                                e.voicemailBox(),
                                e.dnd(),
                                e.forwardAlways(),
                                e.forwardBusy(),
                                e.forwardNoAnswer(),
                                e.ringTime(),
                                e.callLimit(),
                                e.outboundCallerId()));
            }
        }
        for (RoutingData.TimeCondition tc : data.timeConditions()) {
            if (!name.equals(tc.tenant())) {
                continue;
            }
            long id = insert(
                    c,
                    "INSERT INTO time_condition (tenant_id, name, time_zone, match_type, match_ref,"
                            + " else_type, else_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    t,
                    tc.name(),
                    tc.timeZone(),
                    tc.match().type(),
                    tc.match().ref(),
                    tc.otherwise().type(),
                    tc.otherwise().ref());
            for (RoutingData.TimeRange r : tc.ranges()) {
                insert(
                        c,
                        "INSERT INTO time_range (time_condition_id, day_of_week, start_time, end_time)"
                                + " VALUES (?, ?, ?, ?)",
                        id,
                        r.dayOfWeek(),
                        r.start(),
                        r.end());
            }
            for (RoutingData.TimeException x : tc.exceptions()) {
                insert(
                        c,
                        "INSERT INTO time_exception (time_condition_id, on_date, is_open, name, start_time,"
                                + " end_time) VALUES (?, ?, ?, ?, ?, ?)",
                        id,
                        x.date(),
                        x.open(),
                        x.name(),
                        x.start(),
                        x.end());
            }
        }
        for (RoutingData.RingGroup g : data.ringGroups()) {
            if (!name.equals(g.tenant())) {
                continue;
            }
            long id = insert(
                    c,
                    "INSERT INTO ring_group (tenant_id, number, name, strategy, ring_time, no_answer_type,"
                            + " no_answer_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    t,
                    g.number(),
                    g.name(),
                    g.strategy(),
                    g.ringTime(),
                    g.noAnswer().type(),
                    g.noAnswer().ref());
            int pos = 1;
            for (String m : g.members()) {
                Long e = ext.get(m);
                if (e == null) {
                    throw new SQLException("ring group " + g.number() + " of tenant " + name + ": member " + m
                            + " is not an extension");
                }
                insert(
                        c,
                        "INSERT INTO ring_group_member (ring_group_id, position, extension_id) VALUES (?, ?, ?)",
                        id,
                        pos++,
                        e);
            }
        }
        for (RoutingData.CallQueue q : data.queues()) {
            if (name.equals(q.tenant())) {
                insert(
                        c,
                        "INSERT INTO call_queue (tenant_id, name, asterisk_queue, max_wait, fail_type, fail_ref)"
                                + " VALUES (?, ?, ?, ?, ?, ?)",
                        t,
                        q.name(),
                        q.asteriskQueue(),
                        q.maxWait(),
                        q.failover().type(),
                        q.failover().ref());
            }
        }
        for (RoutingData.InboundRoute r : data.inboundRoutes()) {
            if (name.equals(r.tenant())) {
                insert(
                        c,
                        "INSERT INTO inbound_route (tenant_id, name, did_pattern, caller_id_pattern, priority,"
                                + " dest_type, dest_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        t,
                        r.name(),
                        r.didPattern(),
                        r.callerIdPattern(),
                        r.priority(),
                        r.destination().type(),
                        r.destination().ref());
            }
        }
        Map<String, Long> trunks = new HashMap<>();
        for (RoutingData.Trunk k : data.trunks()) {
            if (name.equals(k.tenant())) {
                trunks.put(
                        k.name(),
                        insert(
                                c,
                                "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)",
                                t,
                                k.name(),
                                k.dialString()));
            }
        }
        for (RoutingData.OutboundRoute o : data.outboundRoutes()) {
            if (!name.equals(o.tenant())) {
                continue;
            }
            long id = insert(
                    c,
                    "INSERT INTO outbound_route (tenant_id, name, priority, caller_id_number,"
                            + " caller_id_name, ring_time) VALUES (?, ?, ?, ?, ?, ?)",
                    t,
                    o.name(),
                    o.priority(),
                    o.callerIdNumber(),
                    o.callerIdName(),
                    o.ringTime());
            for (RoutingData.DialPattern p : o.patterns()) {
                insert(
                        c,
                        "INSERT INTO outbound_pattern (outbound_route_id, pattern, strip_digits, prepend)"
                                + " VALUES (?, ?, ?, ?)",
                        id,
                        p.pattern(),
                        p.strip(),
                        p.prepend() == null ? "" : p.prepend());
            }
            int pos = 1;
            for (String k : o.trunks()) {
                Long trunk = trunks.get(k);
                if (trunk == null) {
                    throw new SQLException(
                            "outbound route " + o.name() + " of tenant " + name + ": trunk " + k + " does not exist");
                }
                insert(
                        c,
                        "INSERT INTO outbound_route_trunk (outbound_route_id, position, trunk_id) VALUES (?, ?, ?)",
                        id,
                        pos++,
                        trunk);
            }
        }
        for (RoutingData.BlockedCaller b : data.blockedCallers()) {
            if (name.equals(b.tenant())) {
                insert(
                        c,
                        "INSERT INTO blocked_caller (tenant_id, pattern, reason) VALUES (?, ?, ?)",
                        t,
                        b.pattern(),
                        b.reason());
            }
        }
        insertIvrMenus(c, data, name, t);
        insertCallClasses(c, data, name, t, ext);
    }

    /** The tenant's call classes, and the class each of its extensions names. */
    private static void insertCallClasses(
            Connection c, RoutingData data, String name, long t, Map<String, Long> extensionIds) throws SQLException {
        for (RoutingData.CallClass k : data.callClasses()) {
            if (!name.equals(k.tenant())) {
                continue;
            }
            long id = insert(
                    c,
                    "INSERT INTO call_class (tenant_id, name, refusal_prompt) VALUES (?, ?, ?)",
                    t,
                    k.name(),
                    k.refusalPrompt());
            for (String route : new java.util.LinkedHashSet<>(k.routes())) {
                insert(c, "INSERT INTO call_class_route (call_class_id, route_name) VALUES (?, ?)", id, route);
            }
        }
        for (RoutingData.Extension e : data.extensions()) {
            Long id = extensionIds.get(e.number());
            if (name.equals(e.tenant()) && e.callClass() != null && id != null) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE extension SET call_class = ? WHERE id = ?")) {
                    ps.setString(1, e.callClass());
                    ps.setLong(2, id);
                    ps.executeUpdate();
                }
            }
        }
    }

    private static void insertIvrMenus(Connection c, RoutingData data, String name, long t) throws SQLException {
        for (RoutingData.IvrMenu m : data.ivrMenus()) {
            if (!name.equals(m.tenant())) {
                continue;
            }
            long id = insert(
                    c,
                    "INSERT INTO ivr_menu (tenant_id, name, prompt, invalid_prompt, timeout_prompt, digit_timeout,"
                            + " invalid_retries, timeout_retries, direct_dial, invalid_type, invalid_ref, timeout_type,"
                            + " timeout_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    t,
                    m.name(),
                    m.prompt(),
                    m.invalidPrompt(),
                    m.timeoutPrompt(),
                    m.digitTimeout(),
                    m.invalidRetries(),
                    m.timeoutRetries(),
                    m.directDial(),
                    m.invalid().type(),
                    m.invalid().ref(),
                    m.timeout().type(),
                    m.timeout().ref());
            for (RoutingData.IvrOption o : m.options()) {
                insert(
                        c,
                        "INSERT INTO ivr_option (ivr_menu_id, digits, dest_type, dest_ref) VALUES (?, ?, ?, ?)",
                        id,
                        o.digits(),
                        o.destination().type(),
                        o.destination().ref());
            }
        }
    }

    static Long tenantId(Connection c, String name) throws SQLException {
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
