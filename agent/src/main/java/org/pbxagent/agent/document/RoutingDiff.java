package org.pbxagent.agent.document;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.pbxagent.fastagi.data.RoutingData;

/**
 * What an import changes in one tenant: rows added, removed and changed, per kind, by name or number. Both sides
 * come from {@link RoutingDocuments#toRows}, so they are compared as the DB would hold them.
 */
public final class RoutingDiff {
    /** One row: {@code +} added, {@code -} removed, {@code ~} changed. */
    public record Change(char sign, String kind, String key) {
        @Override
        public String toString() {
            return sign + " " + kind + " " + key;
        }
    }

    private final List<Change> changes;

    private RoutingDiff(List<Change> changes) {
        this.changes = List.copyOf(changes);
    }

    public List<Change> changes() {
        return changes;
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /**
     * @param before the tenant's rows in the DB (empty lists for a new tenant)
     * @param after  the document's rows
     */
    public static RoutingDiff between(RoutingData before, RoutingData after) {
        List<Change> c = new ArrayList<>();
        kind(c, "tenant", before.tenants(), after.tenants(), RoutingData.Tenant::name);
        kind(c, "extension", before.extensions(), after.extensions(), RoutingData.Extension::number);
        kind(c, "time condition", before.timeConditions(), after.timeConditions(), RoutingData.TimeCondition::name);
        kind(c, "ring group", before.ringGroups(), after.ringGroups(), RoutingData.RingGroup::number);
        kind(c, "queue", before.queues(), after.queues(), RoutingData.CallQueue::name);
        kind(c, "inbound route", before.inboundRoutes(), after.inboundRoutes(), RoutingData.InboundRoute::name);
        kind(c, "trunk", before.trunks(), after.trunks(), RoutingData.Trunk::name);
        kind(c, "outbound route", before.outboundRoutes(), after.outboundRoutes(), RoutingData.OutboundRoute::name);
        kind(c, "blocked caller", before.blockedCallers(), after.blockedCallers(), RoutingData.BlockedCaller::pattern);
        kind(c, "ivr menu", before.ivrMenus(), after.ivrMenus(), RoutingData.IvrMenu::name);
        return new RoutingDiff(c);
    }

    private static <T> void kind(
            List<Change> out, String kind, List<T> before, List<T> after, Function<T, String> key) {
        Map<String, T> old = byKey(before, key);
        Map<String, T> now = byKey(after, key);
        for (Map.Entry<String, T> e : now.entrySet()) {
            T was = old.get(e.getKey());
            if (was == null) {
                out.add(new Change('+', kind, e.getKey()));
            } else if (!Objects.equals(was, e.getValue())) {
                out.add(new Change('~', kind, e.getKey()));
            }
        }
        for (String k : old.keySet()) {
            if (!now.containsKey(k)) {
                out.add(new Change('-', kind, k));
            }
        }
    }

    private static <T> Map<String, T> byKey(List<T> rows, Function<T, String> key) {
        Map<String, T> m = new LinkedHashMap<>();
        for (T r : rows) {
            m.put(key.apply(r), r);
        }
        return m;
    }
}
