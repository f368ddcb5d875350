package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * pbx-storage over the real {@code pbx-agent storage} commands, on a loop-attached ext4 image (OCFS2 cannot mount
 * on this kernel; the file system type is configuration), under ocf-tester and by hand.
 */
class PbxStorageAgentIT {

    private static final Duration LIMIT = Duration.ofSeconds(120);

    private OcfSandbox box;
    private String loop;
    private Path mountPoint;
    private Map<String, String> params;

    @BeforeEach
    void setUp() throws Exception {
        box = new OcfSandbox();
        Path img = box.dir.resolve("shared.img");
        PacemakerCluster.check(OcfSandbox.exec(new ProcessBuilder("truncate", "-s", "32M", img.toString()),
                Duration.ofSeconds(10)), "truncate");
        PacemakerCluster.check(OcfSandbox.exec(new ProcessBuilder("mkfs.ext4", "-q", "-L", "pbxshared", img.toString()),
                Duration.ofSeconds(60)), "mkfs");
        OcfSandbox.Result attach = OcfSandbox.exec(new ProcessBuilder("losetup", "--find", "--show", img.toString()),
                Duration.ofSeconds(20));
        PacemakerCluster.check(attach, "losetup");
        loop = attach.stdout().strip();
        mountPoint = box.dir.resolve("shared");
        Path config = box.dir.resolve("pbx-agent.properties");
        Files.writeString(config, String.join("\n",
                "node.id = pbx1",
                "db.url = jdbc:mysql://127.0.0.1:3306/pbx",
                "storage.device = " + loop,
                "storage.mount-point = " + mountPoint,
                "storage.fs-type = ext4",
                "storage.mount-options = noatime",
                "storage.label = pbxshared",
                "storage.unmount-budget-ms = 3000",
                "storage.probe-budget-ms = 5000",
                ""));
        params = new LinkedHashMap<>();
        params.put("agent_cli", box.launcher.toString());
        params.put("config", config.toString());
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            OcfSandbox.exec(new ProcessBuilder("umount", mountPoint.toString()), Duration.ofSeconds(20));
            if (loop != null) {
                OcfSandbox.exec(new ProcessBuilder("losetup", "-d", loop), Duration.ofSeconds(20));
            }
        } finally {
            box.close();
        }
    }

    private OcfSandbox.Result run(String action, Map<String, String> meta) {
        return box.run("pbx-storage", action, params, meta, LIMIT);
    }

    private boolean mounted() throws Exception {
        return Files.readString(Path.of("/proc/self/mounts")).contains(" " + mountPoint + " ");
    }

    @Test
    void passesOcfTester() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ocf-tester", "-n", "storage-under-test"));
        params.forEach((k, v) -> {
            cmd.add("-o");
            cmd.add(k + "=" + v);
        });
        cmd.add(box.agent("pbx-storage").toString());
        OcfSandbox.Result r = OcfSandbox.exec(new ProcessBuilder(cmd), Duration.ofSeconds(240));
        assertEquals(0, r.rc(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("passed all tests"), r.stdout());
        assertFalse(mounted(), "ocf-tester ends with a stop");
    }

    @Test
    void everyDepthAnswersAndStopReleasesTheVolume() throws Exception {
        Map<String, String> monitor = Map.of("interval", "10000", "timeout", "20000");
        assertEquals(7, run("monitor", Map.of("interval", "0", "timeout", "20000")).rc(), "probe before start");
        OcfSandbox.Result start = run("start", Map.of("timeout", "90000"));
        assertEquals(0, start.rc(), start.stderr());
        assertTrue(mounted());
        for (String depth : List.of("0", "10", "20")) {
            OcfSandbox.Result m = box.run("pbx-storage", "monitor", params, monitor, Map.of("OCF_CHECK_LEVEL", depth),
                    LIMIT);
            assertEquals(0, m.rc(), "depth " + depth + ": " + m.stdout() + m.stderr());
            assertTrue(m.millis() < 20_000);
        }
        // A process left with its working directory on the volume must not keep the node from stopping cleanly.
        Process holder = new ProcessBuilder("sleep", "120").directory(mountPoint.toFile()).start();
        try {
            OcfSandbox.Result stop = run("stop", Map.of("timeout", "90000"));
            assertEquals(0, stop.rc(), stop.stdout() + stop.stderr());
            assertFalse(mounted());
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(7, run("monitor", monitor).rc());
        assertEquals(0, run("stop", Map.of("timeout", "90000")).rc(), "stop is idempotent");
    }

    @Test
    void badConfigurationIsNamedAndProbesSayNotRunning() {
        params.put("config", box.dir.resolve("missing.properties").toString());
        OcfSandbox.Result v = run("validate-all", Map.of());
        assertEquals(6, v.rc());
        assertTrue(v.exitReason().contains("missing.properties"), v.stderr());
        assertEquals(7, run("monitor", Map.of("interval", "0", "timeout", "20000")).rc());
    }
}
