package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.List;
import org.pbxagent.storage.command.CommandResult;

/**
 * One fence action's time budget (power_timeout) over all its SAN commands together: each command gets the smaller of
 * its own timeout and what is left, and none starts once the budget is spent. A slow SAN thus ends the action at the
 * budget, however many commands it would still take.
 */
final class DeadlineShell implements SanShell {

    private final SanShell shell;
    private final long deadline;
    private final Duration budget;

    DeadlineShell(SanShell shell, long deadline, Duration budget) {
        this.shell = shell;
        this.deadline = deadline;
        this.budget = budget;
    }

    @Override
    public CommandResult run(List<String> argv, Duration timeout) throws SanAccessException {
        long left = deadline - System.nanoTime();
        if (left < Duration.ofMillis(20).toNanos()) {
            throw spent(argv);
        }
        boolean capped = left < timeout.toNanos();
        try {
            return shell.run(argv, capped ? Duration.ofNanos(left) : timeout);
        } catch (SanAccessException e) {
            // Capped to the budget, any timeout (JSch's "channel request: timeout" too) is the budget running out.
            if (capped && (e.kind() == SanAccessException.Kind.TIMED_OUT || System.nanoTime() >= deadline)) {
                throw spent(argv);
            }
            throw e;
        }
    }

    private SanAccessException spent(List<String> argv) {
        return new SanAccessException(
                SanAccessException.Kind.TIMED_OUT,
                "power_timeout of " + budget.toMillis() + " ms used up before " + argv.get(0)
                        + " on the SAN finished (the SAN answers too slowly)",
                null);
    }

    @Override
    public void close() {
        shell.close();
    }
}
