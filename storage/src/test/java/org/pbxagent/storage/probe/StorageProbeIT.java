package org.pbxagent.storage.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.mount.MountSettings;
import org.pbxagent.storage.mount.SharedMount;
import org.pbxagent.storage.testing.HangFs;
import org.pbxagent.storage.testing.LoopImage;

/** Probes at depth 0/10/20 on a healthy loop-mounted image, and on a FUSE device whose I/O never returns. */
class StorageProbeIT {

    @TempDir
    Path dir;

    private final ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofMillis(50));

    @Test
    void everyDepthIsHealthyOnAHealthyDeviceAndNotMountedIsNotRunning() throws Exception {
        try (LoopImage img = LoopImage.create(dir, "shared.img", "32M", "mkfs.ext4", "-q", "-L", "pbxshared")) {
            MountSettings s = new MountSettings(
                    img.device,
                    dir.resolve("mnt"),
                    "ext4",
                    null,
                    "pbxshared",
                    null,
                    "pbx1",
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(5));
            SharedMount mount = new SharedMount(s, runner);
            StorageProbe probe = new StorageProbe(mount, null, runner, "pbx1", Duration.ofSeconds(5));
            ProbeReport down = probe.run(0);
            assertFalse(down.healthy());
            assertTrue(down.notRunning(), down.message());

            mount.mount();
            for (int depth : new int[] {0, 10, 20}) {
                ProbeReport r = probe.run(depth);
                assertTrue(r.healthy(), depth + ": " + r.failedStep() + ": " + r.message());
            }
            String status = Files.readString(dir.resolve("mnt/.pbx-agent/pbx1.status"));
            assertTrue(status.startsWith("node=pbx1 time="), status);
            mount.unmount();
        }
    }

    @Test
    void aDeviceWhoseReadsHangFailsTheReadStepWithinTheBudget() throws Exception {
        try (HangFs hung = HangFs.mount(dir, false)) {
            MountSettings s = new MountSettings(
                    hung.disk,
                    hung.mountPoint,
                    hung.fsType(),
                    null,
                    null,
                    null,
                    "pbx1",
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5));
            StorageProbe probe =
                    new StorageProbe(new SharedMount(s, runner), null, runner, "pbx1", Duration.ofSeconds(3));
            assertTrue(probe.run(0).healthy(), "depth 0 reads only the mount table and must not touch the device");

            long t0 = System.nanoTime();
            ProbeReport r = probe.run(10);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertFalse(r.healthy());
            assertEquals("read", r.failedStep(), r.message());
            assertTrue(r.message().contains("device hung?"), r.message());
            assertTrue(ms <= 3_300, "probe with a 3 s budget took " + ms + " ms");
        }
    }

    @Test
    void aFileSystemWhoseWritesHangFailsTheWriteStepWithinTheBudget() throws Exception {
        try (HangFs hung = HangFs.mount(dir, true)) {
            MountSettings s = new MountSettings(
                    hung.disk,
                    hung.mountPoint,
                    hung.fsType(),
                    null,
                    null,
                    null,
                    "pbx1",
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5));
            StorageProbe probe =
                    new StorageProbe(new SharedMount(s, runner), null, runner, "pbx1", Duration.ofSeconds(3));
            assertTrue(probe.run(10).healthy(), "reads are answered in this mode");
            long t0 = System.nanoTime();
            ProbeReport r = probe.run(20);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertFalse(r.healthy());
            assertEquals("write", r.failedStep(), r.message());
            assertTrue(ms <= 3_300, "probe with a 3 s budget took " + ms + " ms");
        }
    }

    @Test
    void aFailingSessionCheckNamesTheSessionStep() throws Exception {
        try (LoopImage img = LoopImage.create(dir, "s.img", "16M", "mkfs.ext4", "-q")) {
            MountSettings s = new MountSettings(
                    img.device,
                    dir.resolve("mnt2"),
                    "ext4",
                    null,
                    null,
                    null,
                    "pbx1",
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(5));
            SharedMount mount = new SharedMount(s, runner);
            mount.mount();
            StorageProbe probe = new StorageProbe(
                    mount, t -> "session 3 to 127.0.0.1:3260 is FAILED", runner, "pbx1", Duration.ofSeconds(5));
            ProbeReport r = probe.run(0);
            assertFalse(r.healthy());
            assertEquals("session", r.failedStep());
            mount.unmount();
        }
    }

    @Test
    void onALoadedMachineAHungProbeStillAnswersWithinItsBudget() throws Exception {
        // Busy loops on every core (twice over), each ending by itself: the kill path must fit in what the probe
        // keeps back even while the machine is saturated.
        java.util.List<Process> burners = new java.util.ArrayList<>();
        int n = 2 * Runtime.getRuntime().availableProcessors();
        try (HangFs hung = HangFs.mount(dir, false)) {
            for (int i = 0; i < n; i++) {
                burners.add(new ProcessBuilder("timeout", "60", "sh", "-c", "while :; do :; done")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start());
            }
            MountSettings s = new MountSettings(
                    hung.disk,
                    hung.mountPoint,
                    hung.fsType(),
                    null,
                    null,
                    null,
                    "pbx1",
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5));
            StorageProbe probe =
                    new StorageProbe(new SharedMount(s, runner), null, runner, "pbx1", Duration.ofSeconds(3));
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                ProbeReport r = probe.run(10);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(r.healthy());
                // "previous": the stuck read of an earlier round is still being ended, so no new one is started.
                assertTrue(r.failedStep().equals("read") || r.failedStep().equals("previous"), r.message());
                assertTrue(ms <= 3_000, "round " + round + ": probe with a 3 s budget took " + ms + " ms under load");
            }
        } finally {
            // The loop is timeout's child: KILL to timeout alone would leave it spinning for good.
            for (Process b : burners) {
                b.descendants().forEach(ProcessHandle::destroyForcibly);
                b.destroyForcibly();
                b.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aStepWhoseEndOverrunsTheBudgetIsLeftBehindAndNeverRacedByTheNextProbe() throws Exception {
        // A runner whose kill path is far slower than it claims, as on a saturated machine: the probe answers at
        // its deadline anyway, and the next probe does not start new I/O beside the one still being ended.
        org.pbxagent.storage.command.CommandRunner slow = c -> {
            var r = runner.run(c);
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return r;
        };
        try (HangFs hung = HangFs.mount(dir, false)) {
            MountSettings s = new MountSettings(
                    hung.disk,
                    hung.mountPoint,
                    hung.fsType(),
                    null,
                    null,
                    null,
                    "pbx1",
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5));
            StorageProbe probe =
                    new StorageProbe(new SharedMount(s, runner), null, slow, "pbx1", Duration.ofSeconds(2));
            long t0 = System.nanoTime();
            ProbeReport first = probe.run(10);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("read", first.failedStep(), first.message());
            assertTrue(ms <= 2_000, "probe with a 2 s budget took " + ms + " ms");
            ProbeReport second = probe.run(10);
            assertEquals("previous", second.failedStep(), second.message());
            assertTrue(probe.run(0).healthy(), "depth 0 does no I/O and is not held back");
        }
    }
}
