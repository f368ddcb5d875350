package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.List;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/** The SAN's admin programs run on this very node (the agent runs on the DB/SAN node itself). */
public final class LocalSanShell implements SanShell {

    private final CommandRunner runner;

    public LocalSanShell(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public CommandResult run(List<String> argv, Duration timeout) throws SanAccessException {
        CommandResult r = runner.run(BoundedCommand.of(timeout, argv));
        if (r.outcome() == CommandResult.Outcome.TIMED_OUT) {
            throw new SanAccessException(SanAccessException.Kind.TIMED_OUT, r.reason(), null);
        }
        return r;
    }

    @Override
    public void close() {}
}
