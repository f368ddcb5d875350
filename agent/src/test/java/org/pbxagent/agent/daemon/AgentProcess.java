package org.pbxagent.agent.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged agent run as a child JVM, the way a user or systemd runs it: {@code java -jar pbx-agent.jar ...}.
 * Output goes to files (a full pipe must never block the child); {@link #close()} ends the child and anything it
 * started, by pid.
 */
public final class AgentProcess implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    private AgentProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    public static Path jar() {
        String p = System.getProperty("pbxagent.jar");
        if (p == null) {
            p = "target/pbx-agent.jar";
        }
        Path jar = Path.of(p);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " missing: run through `mvn verify` (it is built in package)");
        }
        return jar;
    }

    public static AgentProcess start(Path workDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        // Its own temp dir, so a test can see that the agent left nothing behind.
        Path tmp = Files.createDirectories(workDir.resolve("tmp"));
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-jar");
        cmd.add(jar().toAbsolutePath().toString());
        cmd.addAll(List.of(args));
        Path out = workDir.resolve("stdout.txt");
        Path err = workDir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd)
                .directory(workDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        return new AgentProcess(p, out, err);
    }

    /** The child's java.io.tmpdir. */
    public static Path tmpDir(Path workDir) {
        return workDir.resolve("tmp");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as systemd and Pacemaker stop it. */
    public void terminate() {
        process.destroy();
    }

    /** Exit code, or throws when it does not end in time. */
    public int waitFor(Duration max) throws InterruptedException {
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(
                    "agent did not exit within " + max + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
        }
        return process.exitValue();
    }

    public String stdout() {
        return read(out);
    }

    public String stderr() {
        return read(err);
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Waits until stdout or stderr contains {@code text}; fails early when the child exits. */
    public void awaitOutput(String text, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (stdout().contains(text) || stderr().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("agent exited (" + process.exitValue() + ") before printing '" + text
                        + "'\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
            }
            Thread.sleep(100);
        }
        throw new AssertionError(
                "no '" + text + "' within " + max + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
    }

    /** Kills what is left: the child's descendants (an embedded MariaDB) first, then the child. */
    @Override
    public void close() {
        if (process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly();
            for (ProcessHandle h : children) {
                h.destroyForcibly();
            }
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                // The child is already killed; keep the interrupt for the caller, as AutoCloseable asks.
                Thread.currentThread().interrupt();
            }
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
