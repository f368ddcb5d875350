package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.data.RoutingData;

/** The rows of a tenant refused at load time are dropped with it: no build keeps anything of another build. */
class RefusedTenantTest {

    private static RoutingData dataWithRefusedTenant(int rows) {
        List<RoutingData.Extension> ext = new ArrayList<>();
        ext.add(new RoutingData.Extension(
                "acme", "1000", "PJSIP/1000", "A", null, false, null, null, null, 20, 0, null));
        for (int i = 0; i < rows; i++) {
            ext.add(new RoutingData.Extension(
                    "bad name",
                    Integer.toString(2000 + i),
                    "PJSIP/x" + i,
                    "B",
                    null,
                    false,
                    null,
                    null,
                    null,
                    20,
                    0,
                    null));
        }
        return new RoutingData(
                1,
                0,
                List.of(new RoutingData.Tenant("acme", "UTC"), new RoutingData.Tenant("bad name", "UTC")),
                ext,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
    }

    @Test
    void refusedTenantLeavesNoRowsBehindAcrossBuilds() throws Exception {
        for (int i = 0; i < 5; i++) {
            RoutingSnapshot s = RoutingCompiler.compile(dataWithRefusedTenant(1_000));
            assertTrue(
                    s.problems().stream().anyMatch(p -> p.contains("'bad name'") && p.contains("refused")),
                    s.problems().toString());
        }
        Set<Object> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        int held = 0;
        for (Class<?> c : List.of(RoutingCompiler.class, TenantCompiler.class, RoutingSnapshot.class, Tenant.class)) {
            held += rowsHeldStatically(c, seen);
        }
        assertEquals(0, held, "rows of refused tenants held in static state after five builds");
    }

    /** Counts collection elements reachable from the static fields of the class and its nested classes. */
    private static int rowsHeldStatically(Class<?> type, Set<Object> seen) throws IllegalAccessException {
        int n = 0;
        List<Class<?>> classes = new ArrayList<>(List.of(type.getDeclaredClasses()));
        classes.add(type);
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive() && !f.isSynthetic()) {
                    f.setAccessible(true);
                    n += rowsIn(f.get(null), seen, 0);
                }
            }
        }
        return n;
    }

    private static int rowsIn(Object o, Set<Object> seen, int depth) throws IllegalAccessException {
        if (o == null
                || depth > 3
                || !seen.add(o)
                || o instanceof String
                || o instanceof Number
                || o.getClass().isEnum()
                || o.getClass().getName().startsWith("java.util.regex")) {
            return 0;
        }
        if (o instanceof Collection<?> c) {
            return (int) c.stream().filter(e -> e instanceof Record).count();
        }
        if (o instanceof Map<?, ?> m) {
            return (int) m.values().stream().filter(e -> e instanceof Record).count();
        }
        if (o.getClass().getName().startsWith("java.")) {
            return 0;
        }
        int n = 0;
        for (Field f : o.getClass().getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                f.setAccessible(true);
                n += rowsIn(f.get(o), seen, depth + 1);
            }
        }
        return n;
    }
}
