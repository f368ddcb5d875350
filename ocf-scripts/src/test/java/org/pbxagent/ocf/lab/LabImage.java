package org.pbxagent.ocf.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The lab's boot files (kernel, initramfs, root image) from {@code storage/lab/prepare-image.sh}, cached between
 * runs in {@code /var/cache/pbx-agent/kernel-lab} (or {@code -Dkernel.lab.cache}).
 */
record LabImage(Path dir, String qemu, String versions, long prepareMillis) {

    /** The emulator; {@code -Dkernel.lab.qemu=...} names another (or a missing one, to see the lab skip). */
    static final String QEMU = System.getProperty("kernel.lab.qemu", "qemu-system-x86_64");

    /** Why the lab cannot run on this machine, or null when QEMU and the preparation tools are there. */
    static String missingTools() {
        for (String tool : new String[] {QEMU, "debootstrap", "tgtd", "sshd", "unshare", "nsenter"}) {
            if (Labs.run(Duration.ofSeconds(10), "sh", "-c", "command -v \"$0\" || test -x /usr/sbin/\"$0\"", tool)
                            .rc()
                    != 0) {
                return tool
                        + " is not installed (.ci/run installs qemu-system-x86 debootstrap busybox-static tgt openssh-server)";
            }
        }
        if (!"0".equals(Labs.run(Duration.ofSeconds(10), "id", "-u").out().strip())) {
            return "the lab needs root (network namespace, tgtd, debootstrap)";
        }
        return null;
    }

    static LabImage prepare(Path script) throws Exception {
        String cache = System.getProperty("kernel.lab.cache", "/var/cache/pbx-agent/kernel-lab");
        long t0 = System.nanoTime();
        // A cold build: about 3-5 minutes (debootstrap); a warm one: seconds.
        Labs.Result r =
                Labs.run(Duration.ofMinutes(30), Map.of(), null, java.util.List.of("bash", script.toString(), cache));
        long ms = (System.nanoTime() - t0) / 1_000_000L;
        if (r.rc() != 0) {
            throw new IllegalStateException("prepare-image.sh exited " + r.rc() + ":\n" + r.out());
        }
        String[] out = r.out().strip().split("\n");
        Path dir = Path.of(out[out.length - 1].strip());
        if (!Files.exists(dir.resolve("ready"))) {
            throw new IllegalStateException("prepare-image.sh gave no image directory:\n" + r.out());
        }
        return new LabImage(dir, QEMU, Files.readString(dir.resolve("versions.txt")), ms);
    }
}
