package org.pbxagent.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.fence.FenceAgent;
import org.pbxagent.storage.mount.MountSettings;
import org.pbxagent.storage.mount.SharedMount;
import org.pbxagent.storage.probe.ProbeReport;
import org.pbxagent.storage.probe.StorageProbe;
import org.pbxagent.storage.testing.HangFs;
import org.pbxagent.storage.testing.LoopImage;
import org.pbxagent.storage.testing.SshdSan;
import org.pbxagent.storage.testing.TgtdSan;

/**
 * Figures for BENCHMARKS.md: probe time per depth on a healthy device, time for a probe to report a hung device
 * (default 5 s budget), unmount with 50 holders, and fence off end to end against tgtd over SSH.
 */
public final class StorageBenchmark {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("pbx-storage-bench");
        try {
            // Sections by name (probes, hung, unmount, fence); none given: all of them.
            List<String> only = List.of(args);
            if (only.isEmpty() || only.contains("probes")) {
                probes(dir);
            }
            if (only.isEmpty() || only.contains("hung")) {
                hungProbe(dir);
            }
            if (only.isEmpty() || only.contains("unmount")) {
                unmountWithHolders(dir);
            }
            if (only.isEmpty() || only.contains("fence")) {
                fence(dir);
            }
        } finally {
            new ProcessCommandRunner().run(BoundedCommand.of(Duration.ofSeconds(30), "rm", "-rf", dir.toString()));
        }
        System.exit(0);
    }

    static void probes(Path dir) throws Exception {
        ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofMillis(50));
        try (LoopImage img = LoopImage.create(dir, "probe.img", "64M", "mkfs.ext4", "-q", "-L", "pbxshared")) {
            MountSettings s = new MountSettings(
                    img.device,
                    dir.resolve("pmnt"),
                    "ext4",
                    "noatime",
                    "pbxshared",
                    null,
                    "pbx1",
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(5));
            SharedMount m = new SharedMount(s, runner);
            m.mount();
            StorageProbe probe = new StorageProbe(m, null, runner, "pbx1", Duration.ofSeconds(5));
            for (int depth : new int[] {0, 10, 20}) {
                for (int i = 0; i < 5; i++) {
                    probe.run(depth); // warm-up
                }
                double[] ms = new double[50];
                for (int i = 0; i < ms.length; i++) {
                    long t0 = System.nanoTime();
                    ProbeReport r = probe.run(depth);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                    if (!r.healthy()) {
                        throw new IllegalStateException(r.message());
                    }
                }
                print("probe depth " + depth + " (healthy loop ext4, 50 runs)", ms);
            }
            m.unmount();
        }
    }

    static void hungProbe(Path dir) throws Exception {
        ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofMillis(50));
        try (HangFs hung = HangFs.mount(Files.createDirectories(dir.resolve("hang")), false)) {
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
            double[] ms = new double[3];
            for (int i = 0; i < ms.length; i++) {
                // A fresh probe each run, as each `storage monitor` call is: one probe would answer "previous"
                // while the stuck read of its last run is still being ended.
                StorageProbe probe =
                        new StorageProbe(new SharedMount(s, runner), null, runner, "pbx1", Duration.ofSeconds(5));
                long t0 = System.nanoTime();
                ProbeReport r = probe.run(10);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                if (r.healthy() || !"read".equals(r.failedStep())) {
                    throw new IllegalStateException("expected a failed read step: " + r);
                }
            }
            print("probe depth 10 on a hung device (budget 5000 ms, 3 runs)", ms);
        }
    }

    static void unmountWithHolders(Path dir) throws Exception {
        ProcessCommandRunner runner = new ProcessCommandRunner();
        try (LoopImage img = LoopImage.create(dir, "holders.img", "64M", "mkfs.ext4", "-q", "-L", "pbxshared")) {
            MountSettings s = new MountSettings(
                    img.device,
                    dir.resolve("hmnt"),
                    "ext4",
                    null,
                    "pbxshared",
                    null,
                    "pbx1",
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(10));
            SharedMount m = new SharedMount(s, runner);
            double[] ms = new double[3];
            for (int run = 0; run < ms.length; run++) {
                m.mount();
                Files.writeString(dir.resolve("hmnt/moh.wav"), "x");
                List<Process> holders = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    // 40 well-behaved holders (cwd or open file) and 10 that ignore TERM
                    String script = i % 5 == 0
                            ? "trap '' TERM; cd \"$1\" && exec sleep 1000"
                            : i % 2 == 0 ? "cd \"$1\" && exec sleep 1000" : "exec 3<\"$1/moh.wav\"; exec sleep 1000";
                    holders.add(new ProcessBuilder(
                                    "sh", "-c", script, "h", dir.resolve("hmnt").toString())
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start());
                }
                while (org.pbxagent.storage.mount.Holders.of(dir.resolve("hmnt"))
                                .size()
                        < 50) {
                    Thread.sleep(20);
                }
                long t0 = System.nanoTime();
                m.unmount();
                ms[run] = (System.nanoTime() - t0) / 1e6;
                for (Process p : holders) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
            print("unmount with 50 holders, 10 ignoring TERM (budget 10 s: KILL at 5 s; 3 runs)", ms);
        }
    }

    static void fence(Path dir) throws Exception {
        String n1 = "iqn.2026-11.org.pbxagent:pbx1";
        String n2 = "iqn.2026-11.org.pbxagent:pbx2";
        try (TgtdSan san = TgtdSan.start(Files.createDirectories(dir.resolve("san")), n1, n2);
                SshdSan sshd = SshdSan.start(Files.createDirectories(dir.resolve("ssh")))) {
            String base = "ipaddr=127.0.0.1\nipport=" + sshd.port + "\nlogin=root\nidentity_file=" + sshd.identity
                    + "\nknown_hosts=" + sshd.knownHosts + "\nsan_type=tgtadm\ntarget=" + TgtdSan.TARGET
                    + "\ntgt_control_port=" + san.controlPort + "\ninitiator_map=pbx1=" + n1 + ";pbx2=" + n2 + "\n";
            double[] inProcess = new double[10];
            for (int i = 0; i < inProcess.length; i++) {
                long t0 = System.nanoTime();
                int rc = agent("action=off\nplug=pbx2\n" + base);
                inProcess[i] = (System.nanoTime() - t0) / 1e6;
                check(rc == 0 && agent("action=on\nplug=pbx2\n" + base) == 0, "in-process off/on");
            }
            print("fence off, in process (SSH connect + unbind + session end + verify; 10 runs)", inProcess);

            String classpath = Path.of(StorageBenchmark.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI())
                            .getParent()
                            .resolve("classes")
                    + ":"
                    + Path.of(com.jcraft.jsch.JSch.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI());
            Path script = Path.of("..", "ocf-scripts", "fence_pbx_san")
                    .toAbsolutePath()
                    .normalize();
            if (!Files.exists(script)) {
                script = Path.of("ocf-scripts", "fence_pbx_san").toAbsolutePath();
            }
            ProcessCommandRunner runner = new ProcessCommandRunner();
            double[] e2e = new double[10];
            for (int i = 0; i < e2e.length; i++) {
                long t0 = System.nanoTime();
                CommandResult r = runner.run(new BoundedCommand(
                        List.of("env", "PBX_AGENT_CLASSPATH=" + classpath, script.toString()),
                        Duration.ofSeconds(30),
                        ("action=off\nplug=pbx2\n" + base).getBytes(StandardCharsets.UTF_8),
                        65536));
                e2e[i] = (System.nanoTime() - t0) / 1e6;
                check(r.ok() && r.stdout().startsWith("Success: Powered OFF"), "script off: " + r.stderr());
                check(agent("action=on\nplug=pbx2\n" + base) == 0, "on");
            }
            print("fence_pbx_san off end to end (new JVM, stdin as from Pacemaker, SSH, tgtadm, verify; 10 runs)", e2e);

            // The installed path: the agent's launcher and jar (only when the agent module has been packaged).
            Path launcher = script.getParent().getParent().resolve("agent/src/main/dist/pbx-agent");
            Path jar = script.getParent().getParent().resolve("agent/target/pbx-agent.jar");
            if (Files.isRegularFile(jar)) {
                double[] viaLauncher = new double[10];
                for (int i = 0; i < viaLauncher.length; i++) {
                    long t0 = System.nanoTime();
                    CommandResult r = runner.run(new BoundedCommand(
                            List.of("env", "PBX_AGENT_CLI=" + launcher, script.toString()),
                            Duration.ofSeconds(30),
                            ("action=off\nplug=pbx2\n" + base).getBytes(StandardCharsets.UTF_8),
                            65536));
                    viaLauncher[i] = (System.nanoTime() - t0) / 1e6;
                    check(r.ok() && r.stdout().startsWith("Success: Powered OFF"), "launcher off: " + r.stderr());
                    check(agent("action=on\nplug=pbx2\n" + base) == 0, "on");
                }
                print("fence_pbx_san off end to end via the agent launcher and jar (10 runs)", viaLauncher);
            }
        }
    }

    private static int agent(String stdin) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
        return new FenceAgent(ps, ps)
                .run(new String[0], new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("benchmark step failed: " + what);
        }
    }

    private static void print(String what, double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        System.out.printf(
                "%-100s median %8.1f ms  p95 %8.1f ms  max %8.1f ms  mean %8.1f ms%n",
                what,
                s[s.length / 2],
                s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)],
                s[s.length - 1],
                sum / s.length);
    }
}
