package org.pbxagent.storage.probe;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;
import org.pbxagent.storage.mount.MountEntry;
import org.pbxagent.storage.mount.SharedMount;

/**
 * Health of the shared storage by OCF check level. 0: mounted from the right device, iSCSI session logged in.
 * 10: one direct (uncached) read from the device. 20: write, fsync and read back this node's status file on the
 * shared file system. Every I/O runs in a child process under the bounded runner, so a device that hangs (a child
 * stuck in uninterruptible I/O) costs the probe its budget, never the agent a thread: the probe returns in time and
 * names the step that did not finish.
 */
public final class StorageProbe {

    /** Beyond the runner's own kill bound, time kept back for reporting on a loaded machine. */
    private static final Duration REPORT_MARGIN = Duration.ofMillis(250);
    /** The probe answers at the latest this long before its deadline, whatever a step is still doing. */
    private static final Duration ANSWER_MARGIN = Duration.ofMillis(300);

    private static final AtomicInteger STEP_IDS = new AtomicInteger();
    // Daemon threads: a step abandoned at the probe's deadline never keeps the JVM alive.
    private static final ExecutorService STEPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "probe-step-" + STEP_IDS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private static final int BLOCK = 4096;

    private final SharedMount mount;
    private final SessionCheck session;
    private final CommandRunner runner;
    private final String nodeName;
    private final Duration budget;
    /** A step the probe answered without (at its deadline) while the runner was still ending it. */
    private volatile Future<CommandResult> lingering;

    public StorageProbe(
            SharedMount mount, SessionCheck session, CommandRunner runner, String nodeName, Duration budget) {
        if (!nodeName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("bad node name for the status file: " + nodeName);
        }
        this.mount = mount;
        this.session = session;
        this.runner = runner;
        this.nodeName = nodeName;
        this.budget = budget;
    }

    public ProbeReport run(int depth) {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        try {
            Optional<MountEntry> m;
            try {
                m = mount.current();
            } catch (StorageException e) {
                return ProbeReport.failed(depth, "mount", e.getMessage(), since(start));
            }
            if (m.isEmpty()) {
                return ProbeReport.notRunning(depth, mount.settings().mountPoint() + " is not mounted", since(start));
            }
            if (session != null) {
                String problem = session.problem(remaining(deadline));
                if (problem != null) {
                    return ProbeReport.failed(depth, "session", problem, since(start));
                }
            }
            Future<CommandResult> earlier = lingering;
            if (depth >= 10 && earlier != null && !earlier.isDone()) {
                // A step this probe gave up on is still running: a new one would race it (an old write landing
                // after the new one), and the device that held it is most likely still stuck.
                return ProbeReport.failed(
                        depth,
                        "previous",
                        "an I/O step of an earlier probe has not ended yet" + " (device hung?)",
                        since(start));
            }
            if (depth >= 10) {
                String device = mount.settings().device().toString();
                CommandResult r = io(
                        deadline,
                        null,
                        "dd",
                        "if=" + device,
                        "of=/dev/null",
                        "bs=" + BLOCK,
                        "count=1",
                        "iflag=direct",
                        "status=none");
                if (!r.ok()) {
                    return ProbeReport.failed(depth, "read", "direct read of " + device + ": " + why(r), since(start));
                }
            }
            if (depth >= 20) {
                String dir = mount.settings().mountPoint().resolve(".pbx-agent").toString();
                String file = dir + "/" + nodeName + ".status";
                CommandResult mk = io(deadline, null, "mkdir", "-p", dir);
                if (!mk.ok()) {
                    return ProbeReport.failed(depth, "write", "creating " + dir + ": " + why(mk), since(start));
                }
                byte[] content = statusBlock();
                CommandResult w = io(deadline, content, "dd", "of=" + file, "bs=" + BLOCK, "conv=fsync", "status=none");
                if (!w.ok()) {
                    return ProbeReport.failed(depth, "write", "write+fsync of " + file + ": " + why(w), since(start));
                }
                CommandResult rb =
                        io(deadline, null, "dd", "if=" + file, "bs=" + BLOCK, "count=1", "iflag=direct", "status=none");
                if (!rb.ok()) {
                    return ProbeReport.failed(
                            depth, "read-back", "reading back " + file + ": " + why(rb), since(start));
                }
                if (!Arrays.equals(rb.stdout().getBytes(StandardCharsets.ISO_8859_1), content)) {
                    return ProbeReport.failed(
                            depth, "read-back", file + " read back differs from what was written", since(start));
                }
            }
            return ProbeReport.ok(depth, since(start));
        } catch (BudgetExhausted e) {
            return ProbeReport.failed(
                    depth,
                    e.getMessage(),
                    "probe budget of " + budget.toMillis() + " ms used up before this step",
                    since(start));
        }
    }

    private CommandResult io(long deadline, byte[] stdin, String... argv) {
        // Each step ends by its timeout plus the runner's kill path: keep both inside the probe's budget.
        Duration left = remaining(deadline).minus(reserve());
        if (left.toMillis() < 50) {
            throw new BudgetExhausted(argv[0]);
        }
        BoundedCommand c = BoundedCommand.of(left, argv).withOutputCap(BLOCK * 2);
        BoundedCommand command = stdin == null ? c : c.withStdin(stdin);
        // The step normally ends by its timeout plus the kill path, inside the reserve. On a machine so loaded that
        // even that overruns, the probe answers at its own deadline and leaves the stuck child's end to the runner.
        long t0 = System.nanoTime();
        Future<CommandResult> f = STEPS.submit(() -> runner.run(command));
        try {
            return f.get(Math.max(0, deadline - System.nanoTime() - ANSWER_MARGIN.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            lingering = f;
            return new CommandResult(
                    command.argv(),
                    CommandResult.Outcome.TIMED_OUT,
                    -1,
                    "",
                    "",
                    false,
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(
                    command.argv(),
                    CommandResult.Outcome.TIMED_OUT,
                    -1,
                    "",
                    "",
                    false,
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (ExecutionException e) {
            return new CommandResult(
                    command.argv(),
                    CommandResult.Outcome.FAILED_TO_START,
                    -1,
                    "",
                    String.valueOf(e.getCause()),
                    false,
                    Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** Time kept back from each I/O step for killing a stuck child and reporting. */
    Duration reserve() {
        return runner.killBound().plus(REPORT_MARGIN);
    }

    private static String why(CommandResult r) {
        if (r.outcome() == CommandResult.Outcome.TIMED_OUT) {
            return "no answer within " + r.elapsed().toMillis() + " ms (device hung?)";
        }
        return r.reason();
    }

    /** One block of text: node, time and a nonce, so a stale copy of an earlier write cannot pass as this one. */
    private byte[] statusBlock() {
        String head = "node=" + nodeName + " time=" + Instant.now() + " nonce="
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "\n";
        byte[] block = new byte[BLOCK];
        Arrays.fill(block, (byte) '\n');
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(h, 0, block, 0, Math.min(h.length, BLOCK));
        return block;
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static final class BudgetExhausted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExhausted(String step) {
            super(step, null, false, false);
        }
    }
}
