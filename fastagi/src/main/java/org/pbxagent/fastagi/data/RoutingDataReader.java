package org.pbxagent.fastagi.data;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Reads all routing rows in one read-only REPEATABLE READ transaction, so the version counter and the rows belong to
 * the same moment even while an administrator writes. Used off the call path only (startup and refresh).
 */
public final class RoutingDataReader {
    /** Seconds any single routing query may take before it is abandoned. */
    static final int QUERY_TIMEOUT_SECONDS = 5;

    private final DataSource ds;
    private final Clock clock;

    public RoutingDataReader(DataSource ds) {
        this(ds, Clock.systemUTC());
    }

    /** @param clock stamps {@link RoutingData#readAtMillis()} (the service's clock, so snapshot ages agree) */
    public RoutingDataReader(DataSource ds, Clock clock) {
        this.ds = ds;
        this.clock = clock;
    }

    /** The change counter: one primary-key read. */
    public long version() throws SQLException {
        try (Connection c = ds.getConnection()) {
            return version(c);
        }
    }

    private static long version(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT version FROM routing_version WHERE id = 1")) {
            ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("routing_version has no row 1: schema not migrated?");
                }
                return rs.getLong(1);
            }
        }
    }

    public RoutingData read() throws SQLException {
        try (Connection c = ds.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try {
                RoutingData data = readAll(c);
                c.commit();
                return data;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setReadOnly(false);
                c.setAutoCommit(autoCommit);
                c.setTransactionIsolation(isolation);
            }
        }
    }

    private RoutingData readAll(Connection c) throws SQLException {
        long version = version(c);
        long readAt = clock.millis();

        List<RoutingData.Tenant> tenants = new ArrayList<>();
        query(
                c,
                "SELECT name, time_zone FROM tenant ORDER BY name",
                rs -> tenants.add(new RoutingData.Tenant(rs.getString(1), rs.getString(2))));

        List<RoutingData.Extension> extensions = new ArrayList<>();
        query(
                c,
                "SELECT t.name, e.number, e.endpoint, e.display_name, e.voicemail_box, e.dnd, e.forward_always,"
                        + " e.forward_busy, e.forward_no_answer, e.ring_time, e.call_limit, e.outbound_caller_id"
                        + " FROM extension e JOIN tenant t ON t.id = e.tenant_id ORDER BY t.name, e.number",
                rs -> extensions.add(new RoutingData.Extension(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getBoolean(6),
                        rs.getString(7),
                        rs.getString(8),
                        rs.getString(9),
                        rs.getInt(10),
                        rs.getInt(11),
                        rs.getString(12))));

        Map<Long, List<RoutingData.TimeRange>> ranges = new LinkedHashMap<>();
        query(
                c,
                "SELECT time_condition_id, day_of_week, TIME_FORMAT(start_time, '%H:%i:%s'),"
                        + " TIME_FORMAT(end_time, '%H:%i:%s') FROM time_range ORDER BY time_condition_id, day_of_week,"
                        + " start_time",
                rs -> ranges.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(new RoutingData.TimeRange(rs.getInt(2), rs.getString(3), rs.getString(4))));
        Map<Long, List<RoutingData.TimeException>> exceptions = new LinkedHashMap<>();
        query(
                c,
                "SELECT time_condition_id, DATE_FORMAT(on_date, '%Y-%m-%d'), is_open, name,"
                        + " TIME_FORMAT(start_time, '%H:%i:%s'), TIME_FORMAT(end_time, '%H:%i:%s') FROM time_exception"
                        + " ORDER BY time_condition_id, on_date, start_time, id",
                rs -> exceptions
                        .computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(new RoutingData.TimeException(
                                rs.getString(2), rs.getBoolean(3), rs.getString(4), rs.getString(5), rs.getString(6))));
        List<RoutingData.TimeCondition> conditions = new ArrayList<>();
        query(
                c,
                "SELECT tc.id, t.name, tc.name, tc.time_zone, tc.match_type, tc.match_ref, tc.else_type, tc.else_ref"
                        + " FROM time_condition tc JOIN tenant t ON t.id = tc.tenant_id ORDER BY t.name, tc.name",
                rs -> conditions.add(new RoutingData.TimeCondition(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        new RoutingData.Destination(rs.getString(5), rs.getString(6)),
                        new RoutingData.Destination(rs.getString(7), rs.getString(8)),
                        ranges.getOrDefault(rs.getLong(1), List.of()),
                        exceptions.getOrDefault(rs.getLong(1), List.of()))));

        Map<Long, List<String>> members = new LinkedHashMap<>();
        query(
                c,
                "SELECT m.ring_group_id, e.number FROM ring_group_member m JOIN extension e ON e.id = m.extension_id"
                        + " ORDER BY m.ring_group_id, m.position",
                rs -> members.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(rs.getString(2)));
        List<RoutingData.RingGroup> groups = new ArrayList<>();
        query(
                c,
                "SELECT g.id, t.name, g.number, g.name, g.strategy, g.ring_time, g.no_answer_type, g.no_answer_ref"
                        + " FROM ring_group g JOIN tenant t ON t.id = g.tenant_id ORDER BY t.name, g.number",
                rs -> groups.add(new RoutingData.RingGroup(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getInt(6),
                        new RoutingData.Destination(rs.getString(7), rs.getString(8)),
                        members.getOrDefault(rs.getLong(1), List.of()))));

        List<RoutingData.CallQueue> queues = new ArrayList<>();
        query(
                c,
                "SELECT t.name, q.name, q.asterisk_queue, q.max_wait, q.fail_type, q.fail_ref"
                        + " FROM call_queue q JOIN tenant t ON t.id = q.tenant_id ORDER BY t.name, q.name",
                rs -> queues.add(new RoutingData.CallQueue(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getInt(4),
                        new RoutingData.Destination(rs.getString(5), rs.getString(6)))));

        List<RoutingData.InboundRoute> inbound = new ArrayList<>();
        query(
                c,
                "SELECT t.name, r.name, r.did_pattern, r.caller_id_pattern, r.priority, r.dest_type, r.dest_ref"
                        + " FROM inbound_route r JOIN tenant t ON t.id = r.tenant_id ORDER BY t.name, r.priority, r.name",
                rs -> inbound.add(new RoutingData.InboundRoute(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getInt(5),
                        new RoutingData.Destination(rs.getString(6), rs.getString(7)))));

        List<RoutingData.Trunk> trunks = new ArrayList<>();
        query(
                c,
                "SELECT t.name, k.name, k.dial_string FROM trunk k JOIN tenant t ON t.id = k.tenant_id"
                        + " ORDER BY t.name, k.name",
                rs -> trunks.add(new RoutingData.Trunk(rs.getString(1), rs.getString(2), rs.getString(3))));

        Map<Long, List<RoutingData.DialPattern>> patterns = new LinkedHashMap<>();
        query(
                c,
                "SELECT outbound_route_id, pattern, strip_digits, prepend FROM outbound_pattern"
                        + " ORDER BY outbound_route_id, id",
                rs -> patterns.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(new RoutingData.DialPattern(rs.getString(2), rs.getInt(3), rs.getString(4))));
        Map<Long, List<String>> routeTrunks = new LinkedHashMap<>();
        query(
                c,
                "SELECT rt.outbound_route_id, k.name FROM outbound_route_trunk rt JOIN trunk k ON k.id = rt.trunk_id"
                        + " ORDER BY rt.outbound_route_id, rt.position",
                rs -> routeTrunks
                        .computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(rs.getString(2)));
        List<RoutingData.OutboundRoute> outbound = new ArrayList<>();
        query(
                c,
                "SELECT r.id, t.name, r.name, r.priority, r.caller_id_number, r.caller_id_name, r.ring_time"
                        + " FROM outbound_route r JOIN tenant t ON t.id = r.tenant_id ORDER BY t.name, r.priority, r.name",
                rs -> outbound.add(new RoutingData.OutboundRoute(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getInt(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getInt(7),
                        patterns.getOrDefault(rs.getLong(1), List.of()),
                        routeTrunks.getOrDefault(rs.getLong(1), List.of()))));

        List<RoutingData.BlockedCaller> blocked = new ArrayList<>();
        query(
                c,
                "SELECT t.name, b.pattern, b.reason FROM blocked_caller b JOIN tenant t ON t.id = b.tenant_id"
                        + " ORDER BY t.name, b.pattern",
                rs -> blocked.add(new RoutingData.BlockedCaller(rs.getString(1), rs.getString(2), rs.getString(3))));

        Map<Long, List<RoutingData.IvrOption>> options = new LinkedHashMap<>();
        query(
                c,
                "SELECT ivr_menu_id, digits, dest_type, dest_ref FROM ivr_option ORDER BY ivr_menu_id, digits",
                rs -> options.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(new RoutingData.IvrOption(
                                rs.getString(2), new RoutingData.Destination(rs.getString(3), rs.getString(4)))));
        List<RoutingData.IvrMenu> menus = new ArrayList<>();
        query(
                c,
                "SELECT m.id, t.name, m.name, m.prompt, m.invalid_prompt, m.timeout_prompt, m.digit_timeout,"
                        + " m.invalid_retries, m.timeout_retries, m.direct_dial, m.invalid_type, m.invalid_ref,"
                        + " m.timeout_type, m.timeout_ref FROM ivr_menu m JOIN tenant t ON t.id = m.tenant_id"
                        + " ORDER BY t.name, m.name",
                rs -> menus.add(new RoutingData.IvrMenu(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getInt(7),
                        rs.getInt(8),
                        rs.getInt(9),
                        rs.getBoolean(10),
                        new RoutingData.Destination(rs.getString(11), rs.getString(12)),
                        new RoutingData.Destination(rs.getString(13), rs.getString(14)),
                        options.getOrDefault(rs.getLong(1), List.of()))));

        List<RoutingData.CallClass> callClasses = readCallClasses(c);
        List<RoutingData.Extension> classed = withCallClasses(c, extensions);

        return new RoutingData(
                version,
                readAt,
                tenants,
                classed,
                conditions,
                groups,
                queues,
                inbound,
                trunks,
                outbound,
                blocked,
                menus,
                callClasses);
    }

    private static List<RoutingData.CallClass> readCallClasses(Connection c) throws SQLException {
        Map<Long, List<String>> routes = new LinkedHashMap<>();
        query(
                c,
                "SELECT call_class_id, route_name FROM call_class_route ORDER BY call_class_id, route_name",
                rs -> routes.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                        .add(rs.getString(2)));
        List<RoutingData.CallClass> classes = new ArrayList<>();
        query(
                c,
                "SELECT k.id, t.name, k.name, k.refusal_prompt FROM call_class k JOIN tenant t ON t.id = k.tenant_id"
                        + " ORDER BY t.name, k.name",
                rs -> classes.add(new RoutingData.CallClass(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        routes.getOrDefault(rs.getLong(1), List.of()))));
        return classes;
    }

    /** The extensions with the call class each names (read apart from the other columns, which came with V1). */
    private static List<RoutingData.Extension> withCallClasses(Connection c, List<RoutingData.Extension> extensions)
            throws SQLException {
        Map<String, String> classOf = new java.util.HashMap<>();
        query(
                c,
                "SELECT t.name, e.number, e.call_class FROM extension e JOIN tenant t ON t.id = e.tenant_id"
                        + " WHERE e.call_class IS NOT NULL",
                rs -> classOf.put(rs.getString(1) + '\u0000' + rs.getString(2), rs.getString(3)));
        if (classOf.isEmpty()) {
            return extensions;
        }
        List<RoutingData.Extension> out = new ArrayList<>(extensions.size());
        for (RoutingData.Extension e : extensions) {
            String k = classOf.get(e.tenant() + '\u0000' + e.number());
            out.add(k == null ? e : e.withCallClass(k));
        }
        return out;
    }

    private interface RowReader {
        void row(ResultSet rs) throws SQLException;
    }

    private static void query(Connection c, String sql, RowReader reader) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reader.row(rs);
                }
            }
        }
    }
}
