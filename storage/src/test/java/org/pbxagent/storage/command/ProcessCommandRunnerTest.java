package org.pbxagent.storage.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessCommandRunnerTest {

    private final ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofMillis(200));

    @TempDir
    Path dir;

    @Test
    void exitCodeOutputAndReasonAreReported() {
        CommandResult r = runner.run(
                BoundedCommand.of(Duration.ofSeconds(5), "sh", "-c", "echo out; echo bad thing >&2; exit 3"));
        assertEquals(CommandResult.Outcome.EXITED, r.outcome());
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("bad thing\n", r.stderr());
        assertFalse(r.ok());
        assertEquals("sh exited 3: bad thing", r.reason());
    }

    @Test
    void argumentsAreNeverInterpretedByAShell() {
        Path marker = dir.resolve("marker");
        String hostile = "$(touch " + marker + "); `touch " + marker + "`";
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(5), "printf", "%s", hostile));
        assertTrue(r.ok(), r.reason());
        assertEquals(hostile, r.stdout());
        assertFalse(Files.exists(marker));
    }

    @Test
    void stdinIsFedAndClosed() {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(5), "cat")
                .withStdin("action=off\nplug=node2\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(r.ok(), r.reason());
        assertEquals("action=off\nplug=node2\n", r.stdout());
    }

    @Test
    void withoutStdinTheProgramReadsEndOfFileInsteadOfHanging() {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(5), "cat"));
        assertTrue(r.ok(), r.reason());
        assertEquals("", r.stdout());
    }

    @Test
    void outputBeyondTheCapIsDroppedWithoutBlockingTheProgram() {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(10), "head", "-c", "5000000", "/dev/zero")
                .withOutputCap(1000));
        assertTrue(r.ok(), r.reason());
        assertEquals(1000, r.stdout().length());
        assertTrue(r.truncated());
    }

    @Test
    void aMissingProgramIsReportedAsNotInstalled() {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(5), "pbx-no-such-program", "x"));
        assertEquals(CommandResult.Outcome.NOT_INSTALLED, r.outcome());
        assertTrue(r.reason().contains("not installed"), r.reason());
    }

    @Test
    void timeoutKillsAGrandchildThatIgnoresTerm() throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        // The grandchild ignores SIGTERM and its parent shell exits, so it is re-parented away from our child:
        // only a kill by process group/session reaches it.
        String script = "sh -c '(trap \"\" TERM; exec sleep 1000) </dev/null & echo $! > " + pidFile + "'; "
                + "trap '' TERM; sleep 1000";
        long t0 = System.nanoTime();
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofMillis(700), "sh", "-c", script));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(CommandResult.Outcome.TIMED_OUT, r.outcome());
        assertTrue(r.reason().contains("timed out"), r.reason());
        long grandchild = Long.parseLong(Files.readString(pidFile).strip());
        assertFalse(ProcessCommandRunner.isRunning(grandchild), "grandchild " + grandchild + " survived the timeout");
        // Bounded: the timeout plus the TERM grace plus reaping, never the program's own 1000 s.
        assertTrue(ms < 10_000, "run took " + ms + " ms");
    }

    @Test
    void aProgramThatExitsWhileABackgroundChildHoldsItsOutputDoesNotHangTheCaller() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        String script = "sleep 1000 & echo $! > " + pidFile + "; echo done";
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofMillis(800), "sh", "-c", script));
        assertEquals(CommandResult.Outcome.EXITED, r.outcome());
        assertEquals(0, r.exitCode());
        long bg = Long.parseLong(Files.readString(pidFile).strip());
        assertFalse(ProcessCommandRunner.isRunning(bg), "background child holding stdout was left running");
    }
}
