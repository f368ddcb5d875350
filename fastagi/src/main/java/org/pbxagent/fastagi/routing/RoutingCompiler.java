package org.pbxagent.fastagi.routing;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.pbxagent.fastagi.data.RoutingData;

/**
 * Compiles {@link RoutingData} (read from the DB or from the disk snapshot) into a {@link RoutingSnapshot}: patterns
 * precompiled, destinations resolved to entries that exist, loops between routes refused. Runs off the call path.
 *
 * <p>Validation policy: an entry with a problem (unknown destination, bad pattern, unknown time zone, part of a
 * route loop ...) is refused and every entry that leads to it is refused as well, each with a problem line; the rest
 * of the tenant keeps working. The whole snapshot is refused ({@link #compile} throws) only when no tenant is usable,
 * so an emptied or broken DB never replaces a working snapshot.
 */
public final class RoutingCompiler {
    private RoutingCompiler() {}

    /**
     * Compiles and validates. Problems are in {@link RoutingSnapshot#problems()}.
     *
     * @throws RoutingSnapshotException when no tenant is usable (the snapshot must not replace a working one)
     */
    public static RoutingSnapshot compile(RoutingData data) {
        if (data == null) {
            throw new RoutingSnapshotException("no routing data");
        }
        List<String> problems = new ArrayList<>();
        Map<String, TenantCompiler> compilers = new LinkedHashMap<>();
        for (RoutingData.Tenant t : data.tenants()) {
            if (t.name() == null || !Tenant.NAME.matcher(t.name()).matches()) {
                problems.add("tenant '" + t.name() + "': name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                continue;
            }
            ZoneId zone = zone(t.timeZone());
            if (zone == null) {
                problems.add("tenant " + t.name() + ": unknown time zone '" + t.timeZone()
                        + "' (time conditions without their own zone are refused)");
            }
            compilers.put(t.name(), new TenantCompiler(t.name(), zone, problems));
        }
        if (compilers.isEmpty()) {
            throw new RoutingSnapshotException("routing data has no usable tenant"
                    + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        }
        // Rows of a refused tenant have no compiler and are dropped here, with nothing kept between compilations.
        collect(compilers, data.extensions(), RoutingData.Extension::tenant, tc -> tc.extensionRows);
        collect(compilers, data.timeConditions(), RoutingData.TimeCondition::tenant, tc -> tc.conditionRows);
        collect(compilers, data.ringGroups(), RoutingData.RingGroup::tenant, tc -> tc.ringGroupRows);
        collect(compilers, data.queues(), RoutingData.CallQueue::tenant, tc -> tc.queueRows);
        collect(compilers, data.inboundRoutes(), RoutingData.InboundRoute::tenant, tc -> tc.inboundRows);
        collect(compilers, data.trunks(), RoutingData.Trunk::tenant, tc -> tc.trunkRows);
        collect(compilers, data.outboundRoutes(), RoutingData.OutboundRoute::tenant, tc -> tc.outboundRows);
        collect(compilers, data.blockedCallers(), RoutingData.BlockedCaller::tenant, tc -> tc.blockedRows);
        collect(compilers, data.ivrMenus(), RoutingData.IvrMenu::tenant, tc -> tc.ivrRows);
        collect(compilers, data.callClasses(), RoutingData.CallClass::tenant, tc -> tc.callClassRows);
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        for (Map.Entry<String, TenantCompiler> e : compilers.entrySet()) {
            tenants.put(e.getKey(), e.getValue().compile());
        }
        return new RoutingSnapshot(data, tenants, problems);
    }

    private static <T> void collect(
            Map<String, TenantCompiler> compilers,
            List<T> rows,
            Function<T, String> tenantOf,
            Function<TenantCompiler, List<T>> into) {
        for (T row : rows) {
            TenantCompiler tc = compilers.get(tenantOf.apply(row));
            if (tc != null) {
                into.apply(tc).add(row);
            }
        }
    }

    /** @return the zone, or null when the text names none */
    static ZoneId zone(String id) {
        if (id == null || id.isBlank()) {
            return null;
        }
        try {
            return ZoneId.of(id.trim());
        } catch (DateTimeException e) {
            return null;
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
