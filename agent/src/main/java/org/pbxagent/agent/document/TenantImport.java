package org.pbxagent.agent.document;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import javax.sql.DataSource;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingDataWriter;
import org.pbxagent.fastagi.routing.RoutingCompiler;
import org.pbxagent.fastagi.routing.RoutingSnapshot;
import org.pbxagent.fastagi.routing.RoutingSnapshotException;

/**
 * Replaces one tenant's routing rows by a document's: checked first by the snapshot compiler on the data the DB
 * would hold afterwards, guarded by the routing version, written in one transaction.
 */
public final class TenantImport {
    /** What an import found (or would do, for a dry run). */
    public record Plan(
            String tenant,
            long dbVersion,
            boolean tenantExists,
            List<String> refusals,
            List<String> notes,
            RoutingDiff diff,
            String guard) {
        /** True when the compiler refused a row or the tenant. */
        public boolean refused() {
            return !refusals.isEmpty();
        }
    }

    /** The import was not written; the message says why. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final DataSource ds;

    public TenantImport(DataSource ds) {
        this.ds = ds;
    }

    /** Reads the DB (one consistent transaction) and works out what importing {@code doc} would do. */
    public Plan plan(RoutingDocument doc, boolean force) throws SQLException {
        RoutingData db = new RoutingDataReader(ds).read();
        String tenant = doc.tenant();
        RoutingData incoming = RoutingDocuments.toRows(doc, db.version());
        RoutingData before = only(db, tenant);
        RoutingData after = replaced(db, tenant, incoming);

        List<String> refusals = new ArrayList<>();
        List<String> notes = new ArrayList<>(RoutingDocuments.separatorNotes(doc));
        try {
            RoutingSnapshot s = RoutingCompiler.compile(after);
            for (String p : s.problems()) {
                if (p.startsWith("tenant " + tenant + ":") || p.startsWith("tenant '" + tenant + "'")) {
                    (refuses(p) ? refusals : notes).add(p);
                }
            }
            if (s.tenant(tenant) == null && refusals.isEmpty()) {
                refusals.add("tenant " + tenant + ": refused by the routing compiler");
            }
        } catch (RoutingSnapshotException e) {
            refusals.add(e.getMessage());
        }

        unstorable(incoming, refusals);

        boolean exists = !before.tenants().isEmpty();
        RoutingDiff diff = RoutingDiff.between(
                before.tenants().isEmpty()
                        ? before
                        : RoutingDocuments.toRows(RoutingDocuments.toDocument(db, tenant), db.version()),
                incoming);
        String guard = null;
        if (!force) {
            if (doc.routingVersion() == null && exists) {
                guard = "tenant " + tenant + " already exists and the document carries no routing_version: export "
                        + "it (pbx-agent routing export --tenant " + tenant + ") and edit that, or import with --force"
                        + " to replace it";
            } else if (doc.routingVersion() != null && doc.routingVersion() != db.version()) {
                guard = "the routing data changed since the document was exported (routing_version "
                        + doc.routingVersion() + " then, " + db.version() + " now): someone else changed it; export "
                        + "again and redo the edit, or import with --force to overwrite";
            }
        }
        return new Plan(tenant, db.version(), exists, refusals, notes, diff, guard);
    }

    /**
     * References the DB holds as foreign keys: the compiler only leaves such a member or trunk out, but the rows
     * cannot be written at all, so they refuse the import before anything is tried.
     */
    private static void unstorable(RoutingData rows, List<String> refusals) {
        java.util.Set<String> extensions = new java.util.HashSet<>();
        rows.extensions().forEach(e -> extensions.add(e.number()));
        java.util.Set<String> trunks = new java.util.HashSet<>();
        rows.trunks().forEach(k -> trunks.add(k.name()));
        for (RoutingData.RingGroup g : rows.ringGroups()) {
            for (String m : g.members()) {
                if (!extensions.contains(m)) {
                    refusals.add("tenant " + g.tenant() + ": ring group " + g.number() + ": member " + m
                            + " is not an extension of the document (refused)");
                }
            }
        }
        for (RoutingData.OutboundRoute o : rows.outboundRoutes()) {
            for (String k : o.trunks()) {
                if (!trunks.contains(k)) {
                    refusals.add("tenant " + o.tenant() + ": outbound route " + o.name() + ": trunk " + k
                            + " is not a trunk of the document (refused)");
                }
            }
        }
    }

    /**
     * A line that refuses a row: the compiler's "(refused)" and "(every entry on it refused)", or the note that a
     * tenant's unknown zone refuses its time conditions. Parts left out of a row ("(left out)") only note.
     */
    static boolean refuses(String problem) {
        return problem.endsWith("refused)");
    }

    /**
     * Writes the plan in one transaction: the routing version is locked and must still be the one planned at (no
     * writer got in between), the tenant's rows are deleted and the document's inserted, and {@code routing_version}
     * moves by exactly one: {@code @pbx_routing_import} keeps the per-row triggers quiet (V7) and the import bumps the
     * version itself. Nothing is written on any error.
     *
     * @return the routing version after the import
     */
    public long apply(Plan plan, RoutingDocument doc) throws SQLException, Refused {
        return apply(List.of(plan), List.of(doc));
    }

    /**
     * Writes several plans, made at the same routing version, in one transaction: all tenants or none. Each tenant's
     * rows are its own, so plans made one by one against the same DB hold together.
     *
     * @param docs the documents of {@code plans}, in the same order
     * @return the routing version after the import
     */
    public long apply(List<Plan> plans, List<RoutingDocument> docs) throws SQLException, Refused {
        if (plans.size() != docs.size() || plans.isEmpty()) {
            throw new IllegalArgumentException("one document per plan, at least one");
        }
        long planned = plans.get(0).dbVersion();
        java.util.Set<String> tenants = new java.util.HashSet<>();
        for (Plan p : plans) {
            if (p.dbVersion() != planned) {
                throw new Refused("the plans were made at different routing versions; nothing written, run the "
                        + "import again");
            }
            if (!tenants.add(p.tenant())) {
                throw new Refused("tenant " + p.tenant() + " is in more than one document; nothing written");
            }
        }
        try (Connection c = ds.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                importing(c, true);
                long now = lockedVersion(c);
                if (now != planned) {
                    throw new Refused("the routing data changed while importing (routing_version " + planned + " then "
                            + now + "); nothing written, run the import again");
                }
                for (int i = 0; i < plans.size(); i++) {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM tenant WHERE name = ?")) {
                        ps.setString(1, plans.get(i).tenant());
                        ps.executeUpdate();
                    }
                    RoutingDataWriter.insertMissingTenants(c, RoutingDocuments.toRows(docs.get(i), planned));
                }
                try (PreparedStatement ps =
                        c.prepareStatement("UPDATE routing_version SET version = version + 1 WHERE id = 1")) {
                    ps.executeUpdate();
                }
                long after = lockedVersion(c);
                c.commit();
                return after;
            } catch (SQLException | RuntimeException | Refused e) {
                c.rollback();
                throw e;
            } finally {
                // A user variable outlives the transaction: left set, the pooled connection's next writer would
                // bump nothing. The SET fails only on a broken connection, which the pool then discards.
                try {
                    importing(c, false);
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
        }
    }

    /** Sets or clears {@code @pbx_routing_import}, which the bump triggers read (V7 of the routing schema). */
    private static void importing(Connection c, boolean on) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SET @pbx_routing_import = " + (on ? "1" : "NULL"))) {
            ps.executeUpdate();
        }
    }

    private static long lockedVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT version FROM routing_version WHERE id = 1 FOR UPDATE");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("routing_version has no row 1: schema not migrated?");
            }
            return rs.getLong(1);
        }
    }

    /** The rows of one tenant of {@code data}. */
    static RoutingData only(RoutingData d, String tenant) {
        return filter(d, r -> tenant.equals(r), null);
    }

    /** {@code data} with the tenant's rows replaced by {@code incoming}'s, as the DB would hold it after the import. */
    static RoutingData replaced(RoutingData d, String tenant, RoutingData incoming) {
        return filter(d, r -> !tenant.equals(r), incoming);
    }

    private static RoutingData filter(RoutingData d, java.util.function.Predicate<String> keep, RoutingData plus) {
        return new RoutingData(
                d.version(),
                d.readAtMillis(),
                rows(d.tenants(), RoutingData.Tenant::name, keep, plus == null ? null : plus.tenants()),
                rows(d.extensions(), RoutingData.Extension::tenant, keep, plus == null ? null : plus.extensions()),
                rows(
                        d.timeConditions(),
                        RoutingData.TimeCondition::tenant,
                        keep,
                        plus == null ? null : plus.timeConditions()),
                rows(d.ringGroups(), RoutingData.RingGroup::tenant, keep, plus == null ? null : plus.ringGroups()),
                rows(d.queues(), RoutingData.CallQueue::tenant, keep, plus == null ? null : plus.queues()),
                rows(
                        d.inboundRoutes(),
                        RoutingData.InboundRoute::tenant,
                        keep,
                        plus == null ? null : plus.inboundRoutes()),
                rows(d.trunks(), RoutingData.Trunk::tenant, keep, plus == null ? null : plus.trunks()),
                rows(
                        d.outboundRoutes(),
                        RoutingData.OutboundRoute::tenant,
                        keep,
                        plus == null ? null : plus.outboundRoutes()),
                rows(
                        d.blockedCallers(),
                        RoutingData.BlockedCaller::tenant,
                        keep,
                        plus == null ? null : plus.blockedCallers()),
                rows(d.ivrMenus(), RoutingData.IvrMenu::tenant, keep, plus == null ? null : plus.ivrMenus()),
                rows(d.callClasses(), RoutingData.CallClass::tenant, keep, plus == null ? null : plus.callClasses()));
    }

    private static <T> List<T> rows(
            List<T> rows, Function<T, String> tenantOf, java.util.function.Predicate<String> keep, List<T> plus) {
        List<T> out = new ArrayList<>();
        for (T r : rows) {
            if (keep.test(tenantOf.apply(r))) {
                out.add(r);
            }
        }
        if (plus != null) {
            out.addAll(plus);
        }
        return out;
    }
}
