package org.pbxagent.fastagi.routing;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pbxagent.fastagi.data.RoutingData;

/**
 * Compiled routing data, read-only: the tenants the {@link RoutingCompiler} accepted, the rows they came from and the
 * problems it found. Built off the call path; calls only read it, so one snapshot serves every thread without a lock
 * until the next one is swapped in.
 */
public final class RoutingSnapshot {
    private final RoutingData data;
    private final Map<String, Tenant> tenants;
    private final List<String> problems;

    /** @param tenants by name, in the order of the rows (kept for the status page and the log) */
    RoutingSnapshot(RoutingData data, Map<String, Tenant> tenants, List<String> problems) {
        this.data = data;
        this.tenants = Collections.unmodifiableMap(new LinkedHashMap<>(tenants));
        this.problems = List.copyOf(problems);
    }

    public long version() {
        return data.version();
    }

    public Instant readAt() {
        return Instant.ofEpochMilli(data.readAtMillis());
    }

    /** The rows this snapshot was compiled from, as written to the disk snapshot. */
    public RoutingData data() {
        return data;
    }

    /** Problems found at load, one line each, naming the tenant, the entry and what is wrong. */
    public List<String> problems() {
        return problems;
    }

    /** @return the tenant's compiled routes, or null */
    public Tenant tenant(String name) {
        return name == null ? null : tenants.get(name);
    }

    public Set<String> tenantNames() {
        return tenants.keySet();
    }
}
