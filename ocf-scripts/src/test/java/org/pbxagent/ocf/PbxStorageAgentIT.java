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
        PacemakerCluster.check(
                OcfSandbox.exec(new ProcessBuilder("truncate", "-s", "32M", img.toString()), Duration.ofSeconds(10)),
                "truncate");
        PacemakerCluster.check(
                OcfSandbox.exec(
                        new ProcessBuilder("mkfs.ext4", "-q", "-L", "pbxshared", img.toString()),
                        Duration.ofSeconds(60)),
                "mkfs");
        OcfSandbox.Result attach = OcfSandbox.exec(
                new ProcessBuilder("losetup", "--find", "--show", img.toString()), Duration.ofSeconds(20));
        PacemakerCluster.check(attach, "losetup");
        loop = attach.stdout().strip();
        mountPoint = box.dir.resolve("shared");
        Path config = box.dir.resolve("pbx-agent.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
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
    void withoutItsLibraryEveryActionIsNotInstalled() throws Exception {
        box.assertNotInstalledWithoutLibrary("pbx-storage", params);
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
        assertEquals(
                7, run("monitor", Map.of("interval", "0", "timeout", "20000")).rc(), "probe before start");
        OcfSandbox.Result start = run("start", Map.of("timeout", "90000"));
        assertEquals(0, start.rc(), start.stderr());
        assertTrue(mounted());
        for (String depth : List.of("0", "10", "20")) {
            OcfSandbox.Result m =
                    box.run("pbx-storage", "monitor", params, monitor, Map.of("OCF_CHECK_LEVEL", depth), LIMIT);
            assertEquals(0, m.rc(), "depth " + depth + ": " + m.stdout() + m.stderr());
            assertTrue(m.millis() < 20_000);
        }
        // A process left with its working directory on the volume must not keep the node from stopping cleanly.
        Process holder = new ProcessBuilder("sleep", "120")
                .directory(mountPoint.toFile())
                .start();
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
    void validateRunsTheSameChecksAsCheckConfigAndProbesWithoutStorageSayNotRunning() throws Exception {
        Path config = Path.of(params.get("config"));
        String good = Files.readString(config);
        assertEquals(0, run("validate-all", Map.of()).rc(), "the test's own configuration is valid");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put(
                "relative mount point",
                good.replace("storage.mount-point = " + mountPoint, "storage.mount-point = srv/pbx"));
        bad.put("fs-type", good.replace("storage.fs-type = ext4", "storage.fs-type = EXT4;rm"));
        bad.put("storage section", good.replaceAll("(?m)^storage\\..*\n", ""));
        bad.put("node.id", good.replace("node.id = pbx1\n", ""));
        for (Map.Entry<String, String> b : bad.entrySet()) {
            Files.writeString(config, b.getValue());
            OcfSandbox.Result v = run("validate-all", Map.of());
            assertEquals(6, v.rc(), b.getKey() + ": " + v.stderr());
            assertTrue(v.exitReason().length() > "ocf-exit-reason:".length(), b.getKey() + ": " + v.stderr());
        }
        // Readable, but no storage section: this node cannot be running the storage; 6 would be fatal everywhere.
        Files.writeString(config, bad.get("storage section"));
        assertEquals(
                7, run("monitor", Map.of("interval", "0", "timeout", "20000")).rc());
        // The CLI's own error reaches Pacemaker as the exit reason.
        Files.writeString(config, good.replace("storage.device = " + loop, "storage.device = /dev/pbx-no-such-disk"));
        OcfSandbox.Result start = run("start", Map.of("timeout", "30000"));
        assertTrue(start.rc() != 0, start.stdout() + start.stderr());
        assertTrue(start.exitReason().contains("pbx-no-such-disk"), start.stderr());
    }

    @Test
    void depthZeroNeedsNoJvm() throws Exception {
        assertEquals(0, run("start", Map.of("timeout", "90000")).rc());
        Map<String, String> monitor = Map.of("interval", "10000", "timeout", "20000");
        // A launcher that cannot start proves the healthy depth-0 monitor never runs it.
        params.put("agent_cli", "/bin/false");
        OcfSandbox.Result m = run("monitor", monitor);
        assertEquals(0, m.rc(), m.stderr());
        params.put("agent_cli", box.launcher.toString());
        assertEquals(0, run("stop", Map.of("timeout", "90000")).rc());
        params.put("agent_cli", "/bin/false");
        assertEquals(7, run("monitor", monitor).rc(), "not mounted: not running, still without the CLI");
    }

    @Test
    void depthZeroFailsInsideItsBudgetWhenTheDeviceStopsAnswering() throws Exception {
        // ext4 on a loop device over hangfs: once frozen, every read of the device sleeps in the kernel for good.
        Path hangfs = NodeDisk.compileHangFs(box.dir);
        NodeDisk disk = new NodeDisk(box.dir.resolve("frozen"), hangfs, "pbxshared");
        Path config = Path.of(params.get("config"));
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("storage.device = " + loop, "storage.device = " + disk.device())
                        .replace("storage.probe-budget-ms = 5000", "storage.probe-budget-ms = 2000"));
        Map<String, String> monitor = Map.of("interval", "5000", "timeout", "20000");
        Map<String, String> env = Map.of(
                "HA_RSCTMP", Files.createDirectories(box.dir.resolve("rsctmp")).toString());
        try {
            assertEquals(0, run("start", Map.of("timeout", "90000")).rc());
            OcfSandbox.Result healthy = box.run("pbx-storage", "monitor", params, monitor, env, LIMIT);
            assertEquals(0, healthy.rc(), healthy.stderr());
            disk.freeze();
            OcfSandbox.Result frozen = box.run("pbx-storage", "monitor", params, monitor, env, LIMIT);
            assertEquals(1, frozen.rc(), "a device that does not answer is a failure: " + frozen.stderr());
            assertTrue(frozen.exitReason().contains("within 2000 ms"), frozen.stderr());
            // The budget, plus a loaded machine's process starts; never the 20 s timeout.
            assertTrue(frozen.millis() < 8_000, "monitor took " + frozen.millis() + " ms");
            // The reader stays stuck in the kernel; the next monitor answers at once instead of adding another one.
            OcfSandbox.Result again = box.run("pbx-storage", "monitor", params, monitor, env, LIMIT);
            assertEquals(1, again.rc(), again.stderr());
            assertTrue(again.exitReason().contains("earlier monitor"), again.stderr());
            assertTrue(again.millis() < frozen.millis(), again.millis() + " ms, the first took " + frozen.millis());
            System.out.println("FIGURE frozen device: depth 0 failed in " + frozen.millis() + " ms (budget 2000 ms), "
                    + "again in " + again.millis() + " ms");
        } finally {
            // The pending I/O fails once hangfs is gone; then the mount and the loop device can go.
            disk.release();
            OcfSandbox.exec(new ProcessBuilder("umount", "-l", mountPoint.toString()), Duration.ofSeconds(20));
            disk.close();
        }
    }

    @Test
    void badConfigurationIsNamedAndProbesSayNotRunning() {
        params.put("config", box.dir.resolve("missing.properties").toString());
        OcfSandbox.Result v = run("validate-all", Map.of());
        assertEquals(6, v.rc());
        assertTrue(v.exitReason().contains("missing.properties"), v.stderr());
        assertEquals(
                7, run("monitor", Map.of("interval", "0", "timeout", "20000")).rc());
    }
}
