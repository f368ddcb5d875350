package org.pbxagent.ocf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A world-readable temp dir holding copies of the resource agents, the Asterisk stand-in, a pbx-agent launcher on
 * the test classpath and an AMI secret file, from which agents run the way Pacemaker's executor runs them. Closing
 * it kills (by pid) every process started from it and removes the dir.
 */
final class OcfSandbox implements AutoCloseable {

    /** The shell library the agents source from their own directory; installed beside them, 0644. */
    static final String LIBRARY = "pbx-ocf-lib.sh";

    static final String AMI_USER = "pbx-agent";
    static final String AMI_SECRET = "s3cret-ami";

    final Path dir;
    final Path launcher;
    final Path secretFile;
    final Path standIn;

    OcfSandbox() throws IOException {
        dir = Files.createTempDirectory("pbx-ocf-");
        // ocf-tester runs meta-data as user nobody: every parent must be traversable and the files 0755.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path scripts = Path.of(System.getProperty("ocf.scripts.dir", "."));
        for (String agent : List.of("pbx-asterisk", "pbx-agent", "pbx-storage")) {
            Path src = scripts.resolve(agent);
            if (Files.exists(src)) {
                executable(Files.copy(src, dir.resolve(agent), StandardCopyOption.REPLACE_EXISTING));
            }
        }
        Path library = scripts.resolve(LIBRARY);
        if (Files.exists(library)) {
            readable(Files.copy(library, dir.resolve(LIBRARY), StandardCopyOption.REPLACE_EXISTING));
        }
        standIn = dir.resolve("asterisk-standin");
        try (InputStream in = OcfSandbox.class.getResourceAsStream("/asterisk-standin")) {
            Files.copy(in, standIn);
        }
        executable(standIn);
        launcher = dir.resolve("pbx-agent-cli");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = worldReadableClasspath();
        // Flags for a short-lived JVM: the monitor pays its start on every run. No perf data file: pids in the
        // cluster tests' pid namespaces would collide in the shared /tmp/hsperfdata_root.
        Files.writeString(
                launcher,
                "#!/bin/sh\nexec '" + java + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto" + " -cp '" + cp
                        + "' org.pbxagent.agent.app.Main \"$@\"\n");
        executable(launcher);
        secretFile = dir.resolve("ami.secret");
        Files.writeString(secretFile, AMI_SECRET + "\n");
    }

    /**
     * The agent's classpath copied into this sandbox: Pacemaker's controller reads agents' metadata as user
     * hacluster, who cannot read root's Maven repository, and a snapshot cannot change under a running test.
     */
    private String worldReadableClasspath() throws IOException {
        String cp = System.getProperty("agent.cli.classpath");
        if (cp == null || cp.isBlank()) {
            throw new IllegalStateException(
                    "system property agent.cli.classpath is not set (run through Maven failsafe)");
        }
        Path lib = Files.createDirectories(dir.resolve("lib"));
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.isRegularFile(src)) {
                continue;
            }
            // Numbered: two artifacts may share a file name.
            Path copy = lib.resolve((i++) + "-" + src.getFileName());
            Files.copy(src, copy, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
            out.append(out.length() == 0 ? "" : java.io.File.pathSeparator).append(copy);
        }
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwxr-xr-x"));
        classpath = out.toString();
        return classpath;
    }

    /** The sandbox's copy of the agent's classpath. */
    String classpath;

    private static Path executable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    static Path readable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        return p;
    }

    Path agent(String name) {
        return dir.resolve(name);
    }

    /** pbx-asterisk parameters for a stand-in on {@code amiPort}; extra stand-in options appended. */
    Map<String, String> asteriskParams(String name, int amiPort, String extraOptions) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("binary", standIn.toString());
        p.put(
                "options",
                "--ami-port " + amiPort + " --ami-user " + AMI_USER + " --ami-secret " + AMI_SECRET
                        + (extraOptions.isEmpty() ? "" : " " + extraOptions));
        p.put("pidfile", dir.resolve(name + ".pid").toString());
        p.put("ami_port", Integer.toString(amiPort));
        p.put("ami_user", AMI_USER);
        p.put("ami_secret_file", secretFile.toString());
        p.put("drain_url", "");
        return p;
    }

    record Result(int rc, String stdout, String stderr, long millis) {
        String exitReason() {
            return stderr.lines()
                    .filter(l -> l.startsWith("ocf-exit-reason:"))
                    .findFirst()
                    .orElse("");
        }
    }

    /** Runs one action as Pacemaker's executor would: OCF_* environment, no arguments beyond the action. */
    Result run(String agent, String action, Map<String, String> params, Map<String, String> meta, Duration limit) {
        return run(agent, action, params, meta, Map.of(), limit);
    }

    Result run(
            String agent,
            String action,
            Map<String, String> params,
            Map<String, String> meta,
            Map<String, String> rawEnv,
            Duration limit) {
        return run(List.of(), agent(agent), action, params, meta, rawEnv, limit);
    }

    /**
     * Runs one action as {@link #run}, of the agent at {@code agentPath}, with {@code prefix} before it (such as an
     * nsenter into a namespace of the test's own).
     */
    static Result run(
            List<String> prefix,
            Path agentPath,
            String action,
            Map<String, String> params,
            Map<String, String> meta,
            Map<String, String> rawEnv,
            Duration limit) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(agentPath.toString());
        cmd.add(action);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("OCF_ROOT", "/usr/lib/ocf");
        env.put("OCF_RA_VERSION_MAJOR", "1");
        env.put("OCF_RA_VERSION_MINOR", "1");
        env.put("OCF_RESOURCE_INSTANCE", "test");
        env.put("OCF_RESOURCE_TYPE", agentPath.getFileName().toString());
        params.forEach((k, v) -> env.put("OCF_RESKEY_" + k, v));
        meta.forEach((k, v) -> env.put("OCF_RESKEY_CRM_meta_" + k, v));
        env.putAll(rawEnv);
        return exec(pb, limit);
    }

    /**
     * Runs one action, as {@link #run}, of a copy of the agent in a directory without {@link #LIBRARY}: an agent
     * installed without its library.
     */
    Result runWithoutLibrary(String agent, String action, Map<String, String> params, Map<String, String> meta)
            throws IOException {
        Path alone = Files.createDirectories(dir.resolve("without-library"));
        Path copy = executable(Files.copy(agent(agent), alone.resolve(agent), StandardCopyOption.REPLACE_EXISTING));
        return run(List.of(), copy, action, params, meta, Map.of(), Duration.ofSeconds(30));
    }

    /**
     * Every action of the agent without its library, a probe and a recurring monitor among them, fails as not
     * installed (5) with one line on stderr, the exit reason naming the library: no shell error.
     */
    void assertNotInstalledWithoutLibrary(String agent, Map<String, String> params) throws IOException {
        for (String action : List.of("meta-data", "validate-all", "start", "monitor", "stop")) {
            for (Map<String, String> meta :
                    List.of(Map.of("timeout", "20000"), Map.of("interval", "5000", "timeout", "20000"))) {
                Result r = runWithoutLibrary(agent, action, params, meta);
                String what = agent + " " + action + " " + meta + ": rc=" + r.rc() + " " + r.stderr();
                if (r.rc() != 5
                        || !r.exitReason().contains(LIBRARY + " is missing")
                        || !r.stderr().strip().equals(r.exitReason())) {
                    throw new AssertionError(what);
                }
            }
        }
    }

    /**
     * CPU time (user + system, ms) of one action including every child it waited for, from bash's {@code times}
     * around it; the agent runs with the same environment as {@link #run}. {@code agentPath} may be any OCF agent.
     */
    double cpuMillis(
            Path agentPath,
            String action,
            Map<String, String> params,
            Map<String, String> meta,
            Map<String, String> rawEnv) {
        ProcessBuilder pb = new ProcessBuilder(
                "/bin/bash", "-c", "\"$0\" \"$1\" >/dev/null 2>&1; r=$?; times; exit $r", agentPath.toString(), action);
        Map<String, String> env = pb.environment();
        env.put("OCF_ROOT", "/usr/lib/ocf");
        env.put("OCF_RA_VERSION_MAJOR", "1");
        env.put("OCF_RA_VERSION_MINOR", "1");
        env.put("OCF_RESOURCE_INSTANCE", "test");
        env.put("OCF_RESOURCE_TYPE", agentPath.getFileName().toString());
        params.forEach((k, v) -> env.put("OCF_RESKEY_" + k, v));
        meta.forEach((k, v) -> env.put("OCF_RESKEY_CRM_meta_" + k, v));
        env.putAll(rawEnv);
        Result r = exec(pb, Duration.ofSeconds(60));
        // times: the shell's own line, then its children's: "0m0.004s 0m0.012s".
        String[] lines = r.stdout().strip().split("\n");
        String[] t = lines[lines.length - 1].trim().split("\\s+");
        return seconds(t[0]) * 1000 + seconds(t[1]) * 1000;
    }

    private static double seconds(String mAndS) {
        int m = mAndS.indexOf('m');
        return Integer.parseInt(mAndS.substring(0, m)) * 60
                + Double.parseDouble(mAndS.substring(m + 1, mAndS.length() - 1));
    }

    static Result exec(ProcessBuilder pb, Duration limit) {
        try {
            Path out = Files.createTempFile("ocf-out", ".txt");
            Path err = Files.createTempFile("ocf-err", ".txt");
            try {
                pb.redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                long t0 = System.nanoTime();
                Process p = pb.start();
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    throw new AssertionError(
                            pb.command() + " did not end within " + limit + "; stderr: " + Files.readString(err));
                }
                long ms = (System.nanoTime() - t0) / 1_000_000L;
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err), ms);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pid in a pid file, or -1. */
    static long pidIn(Path pidfile) {
        try {
            return Long.parseLong(Files.readString(pidfile).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Pids of live processes whose command line names a file of this sandbox. */
    List<ProcessHandle> processes() {
        String mark = dir.toString() + "/";
        List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(ph -> {
            try {
                String cmdline =
                        Files.readString(Path.of("/proc", Long.toString(ph.pid()), "cmdline"), StandardCharsets.UTF_8);
                if (cmdline.contains(mark)) {
                    found.add(ph);
                }
            } catch (IOException | UncheckedIOException e) {
                // gone meanwhile, or not ours to read
            }
        });
        return found;
    }

    @Override
    public void close() throws IOException {
        for (ProcessHandle ph : processes()) {
            // SIGCONT first: a stopped (hung) stand-in must also die.
            signal(ph.pid(), "CONT");
            ph.destroyForcibly();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static void signal(long pid, String sig) {
        exec(new ProcessBuilder("kill", "-" + sig, Long.toString(pid)), Duration.ofSeconds(5));
    }
}
