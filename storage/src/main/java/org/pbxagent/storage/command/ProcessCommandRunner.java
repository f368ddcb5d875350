package org.pbxagent.storage.command;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Runs programs as child processes, each in its own session and process group ({@code setsid} in front of the argv),
 * so that a timeout can end the whole group: the program, its children and grandchildren, including those that were
 * re-parented to init or ignore SIGTERM. Output beyond the cap is read and dropped so a chatty program never blocks
 * on a full pipe. Every program runs with {@code LC_ALL=C} so its output parses the same everywhere.
 */
public final class ProcessCommandRunner implements CommandRunner {

    private static final AtomicInteger PUMP_IDS = new AtomicInteger();
    // Pumps are daemon threads: an abandoned pump (a grandchild holding a pipe) can never keep the JVM alive.
    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "command-io-" + PUMP_IDS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private static final File DEV_NULL = new File("/dev/null");

    private final Duration termGrace;
    private final String setsid;

    /** @param termGrace how long a timed-out group gets between SIGTERM and SIGKILL */
    public ProcessCommandRunner(Duration termGrace) {
        this.termGrace = termGrace;
        this.setsid = resolve("setsid").map(Path::toString).orElse(null);
    }

    public ProcessCommandRunner() {
        this(Duration.ofMillis(300));
    }

    @SuppressWarnings(
            "FutureReturnValueIgnored") // the stdin writer handles its own IOException; the exit code tells the outcome
    @Override
    public CommandResult run(BoundedCommand command) {
        long start = System.nanoTime();
        Optional<Path> exe = resolve(command.program());
        if (exe.isEmpty()) {
            return new CommandResult(
                    command.argv(), CommandResult.Outcome.NOT_INSTALLED, -1, "", "", false, Duration.ZERO);
        }
        List<String> argv = new ArrayList<>(command.argv().size() + 1);
        if (setsid != null) {
            argv.add(setsid);
        }
        argv.add(exe.get().toString());
        argv.addAll(command.argv().subList(1, command.argv().size()));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(
                command.stdin() == null ? ProcessBuilder.Redirect.from(DEV_NULL) : ProcessBuilder.Redirect.PIPE);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return new CommandResult(
                    command.argv(),
                    CommandResult.Outcome.FAILED_TO_START,
                    -1,
                    "",
                    String.valueOf(e.getMessage()),
                    false,
                    elapsed(start));
        }
        Future<Capture> out = PUMPS.submit(() -> Capture.read(process.getInputStream(), command.outputCap()));
        Future<Capture> err = PUMPS.submit(() -> Capture.read(process.getErrorStream(), command.outputCap()));
        if (command.stdin() != null) {
            byte[] input = command.stdin();
            PUMPS.submit(() -> {
                try (OutputStream os = process.getOutputStream()) {
                    os.write(input);
                } catch (IOException ignored) {
                    // the program closed stdin or died: its exit code tells the story
                }
                return null;
            });
        }
        long deadline = start + command.timeout().toNanos();
        boolean timedOut = false;
        try {
            // The timeout counts from the call, so a slow start (a loaded machine) is not added on top of it.
            if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                timedOut = true;
                killGroup(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killGroup(process);
            timedOut = true;
        }
        boolean[] killed = {timedOut};
        Capture o = collect(out, deadline, process, killed);
        Capture e = collect(err, deadline, process, killed);
        int exit = process.isAlive() ? -1 : process.exitValue();
        return new CommandResult(
                command.argv(),
                timedOut ? CommandResult.Outcome.TIMED_OUT : CommandResult.Outcome.EXITED,
                timedOut ? -1 : exit,
                o.text(),
                e.text(),
                o.truncated || e.truncated,
                elapsed(start));
    }

    /**
     * Output of a program that exited is complete once its pipes close; a leftover group member that still holds
     * them is killed at the deadline so the caller is never held beyond the timeout (plus the kill grace). After a
     * kill, a member stuck in uninterruptible I/O may keep the pipes open: its output is then given up.
     */
    private Capture collect(Future<Capture> pump, long deadline, Process process, boolean[] killed) {
        try {
            long wait = Math.max(deadline - System.nanoTime(), PUMP_WAIT.toNanos());
            return pump.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (!killed[0]) {
                killed[0] = true;
                killGroup(process);
                try {
                    return pump.get(PUMP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception again) {
                    // fall through: give the output up
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // the pump failed: no output to report
        }
        pump.cancel(true);
        return Capture.EMPTY;
    }

    /**
     * The longest a timed-out run takes beyond its timeout: the TERM grace, then KILL and a short wait for the group
     * to go, then giving up the output of members that cannot die (stuck in uninterruptible I/O). Callers with a
     * budget of their own (the storage probe) keep this much back.
     */
    @Override
    public Duration killBound() {
        return termGrace.plus(KILL_WAIT).plus(PUMP_WAIT.multipliedBy(2)).plus(SCAN_ALLOWANCE);
    }

    private static final Duration KILL_WAIT = Duration.ofMillis(150);
    private static final Duration PUMP_WAIT = Duration.ofMillis(50);
    /** Two scans of /proc for the group's members and the sleeps between, which a saturated CPU stretches. */
    private static final Duration SCAN_ALLOWANCE = Duration.ofMillis(400);

    private void killGroup(Process process) {
        long start = System.nanoTime();
        Set<ProcessHandle> members = groupMembers(process);
        members.forEach(ProcessHandle::destroy);
        process.destroy();
        long graceEnd = start + termGrace.toNanos();
        while (System.nanoTime() < graceEnd
                && (process.isAlive() || members.stream().anyMatch(ProcessHandle::isAlive))) {
            sleep(10);
        }
        // Members may have forked while we waited: look again, then KILL whatever is left.
        members.addAll(groupMembers(process));
        members.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        // A process in uninterruptible I/O (a hung device) dies only when its I/O ends: wait briefly, never for that.
        long killEnd = System.nanoTime() + KILL_WAIT.toNanos();
        while (System.nanoTime() < killEnd
                && (process.isAlive() || members.stream().anyMatch(m -> isRunning(m.pid())))) {
            sleep(10);
        }
    }

    /** The leader's descendants plus every process whose process group or session is the leader's (re-parented ones). */
    private static Set<ProcessHandle> groupMembers(Process process) {
        long leader = process.pid();
        Set<ProcessHandle> members = new HashSet<>();
        process.descendants().forEach(members::add);
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.forEach(p -> {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    return;
                }
                long pid;
                try {
                    pid = Long.parseLong(name);
                } catch (NumberFormatException e) {
                    return;
                }
                if (pid == leader) {
                    return;
                }
                long[] ids = groupAndSession(p.resolve("stat"));
                if (ids != null && (ids[0] == leader || ids[1] == leader)) {
                    ProcessHandle.of(pid).ifPresent(members::add);
                }
            });
        } catch (IOException ignored) {
            // no /proc: descendants are all we can see
        }
        return members;
    }

    /**
     * True while the process exists and is not a zombie. A killed process that was re-parented stays a zombie until
     * its new parent reaps it; it holds no resources and runs nothing, so it counts as gone.
     */
    public static boolean isRunning(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
            int close = s.lastIndexOf(')');
            return close > 0 && close + 2 < s.length() && s.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** pgrp and session from /proc/PID/stat; the command name may hold spaces and parentheses, so parse after the last ')'. */
    static long[] groupAndSession(Path stat) {
        try {
            String s = Files.readString(stat, StandardCharsets.ISO_8859_1);
            int close = s.lastIndexOf(')');
            if (close < 0) {
                return null;
            }
            String[] f = s.substring(close + 2).split(" ");
            // f[0]=state f[1]=ppid f[2]=pgrp f[3]=session
            return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A program name with a slash is taken as a path; otherwise it is looked up on PATH, as execvp would. */
    public static Optional<Path> resolve(String program) {
        if (program.indexOf('/') >= 0) {
            Path p = Path.of(program);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null || path.isEmpty()) {
            path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Capture(String text, boolean truncated) {
        static final Capture EMPTY = new Capture("", false);

        static Capture read(InputStream in, int cap) throws IOException {
            ByteArrayOutputStream kept = new ByteArrayOutputStream(Math.min(cap, 8192));
            byte[] buf = new byte[8192];
            boolean truncated = false;
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int room = cap - kept.size();
                    if (room > 0) {
                        kept.write(buf, 0, Math.min(room, n));
                    }
                    if (n > room) {
                        truncated = true;
                    }
                }
            }
            return new Capture(kept.toString(StandardCharsets.UTF_8), truncated);
        }
    }
}
