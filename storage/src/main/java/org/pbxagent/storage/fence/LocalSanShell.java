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
    public CommandResult run(List<String> argv, Duration timeout) {
        return runner.run(BoundedCommand.of(timeout, argv));
    }

    @Override
    public void close() {
    }
}
