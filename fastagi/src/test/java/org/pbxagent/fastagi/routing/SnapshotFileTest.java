package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.SampleRoutingData;

/** The disk snapshot gives back exactly what was written, and refuses anything else. */
class SnapshotFileTest {
    @TempDir
    Path dir;

    static RoutingData sampleWithTimedException() {
        RoutingData s = SampleRoutingData.data();
        RoutingData.TimeCondition tc = s.timeConditions().get(0);
        List<RoutingData.TimeException> x = new java.util.ArrayList<>(tc.exceptions());
        x.add(new RoutingData.TimeException("2026-12-24", true, "mornings", "09:00:00", "12:00:00"));
        RoutingData.TimeCondition timed = new RoutingData.TimeCondition(
                tc.tenant(), tc.name(), "Europe/Paris", tc.match(), tc.otherwise(), tc.ranges(), x);
        return new RoutingData(
                42,
                1_790_000_000_000L,
                s.tenants(),
                s.extensions(),
                List.of(timed),
                s.ringGroups(),
                s.queues(),
                s.inboundRoutes(),
                s.trunks(),
                s.outboundRoutes(),
                s.blockedCallers(),
                s.ivrMenus());
    }

    @Test
    void roundTripIsExactAndReplacesAtomically() throws Exception {
        Path file = dir.resolve("routing.snapshot");
        SnapshotFile f = new SnapshotFile(file);
        RoutingData data = sampleWithTimedException();
        f.write(SampleRoutingData.data());
        f.write(data);
        assertEquals(data, f.read());
        try (var names = Files.list(dir)) {
            assertEquals(
                    List.of("routing.snapshot"),
                    names.map(p -> p.getFileName().toString()).toList(),
                    "no temp file left behind");
        }
        assertTrue(Files.readString(file).startsWith("PBXAGENT-ROUTING 1 "));
        assertEquals(0, RoutingCompiler.compile(f.read()).problems().size());
    }

    @Test
    void anyDamageIsRefused() throws Exception {
        Path file = dir.resolve("routing.snapshot");
        new SnapshotFile(file).write(sampleWithTimedException());
        byte[] good = Files.readAllBytes(file);
        for (int pos : new int[] {3, good.length / 2, good.length - 2}) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x20;
            Files.write(file, bad);
            RoutingSnapshotException e =
                    assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(file).read(), "byte " + pos);
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        }
        Files.write(file, new byte[0]);
        assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(file).read());
        assertThrows(RoutingSnapshotException.class, () -> new SnapshotFile(dir.resolve("absent")).read());
    }
}
