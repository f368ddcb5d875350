package org.pbxagent.storage.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/**
 * For layers whose program cannot run on this kernel (iscsiadm login needs iscsi_tcp): records every argv and
 * answers with the documented output of the real program, chosen by the test.
 */
public final class ScriptedRunner implements CommandRunner {

    public final List<List<String>> calls = new ArrayList<>();
    private final Function<List<String>, CommandResult> script;

    public ScriptedRunner(Function<List<String>, CommandResult> script) {
        this.script = script;
    }

    @Override
    public CommandResult run(BoundedCommand command) {
        calls.add(command.argv());
        return script.apply(command.argv());
    }

    public static CommandResult exit(List<String> argv, int code, String stdout, String stderr) {
        return new CommandResult(argv, CommandResult.Outcome.EXITED, code, stdout, stderr, false, Duration.ofMillis(1));
    }

    public static CommandResult timedOut(List<String> argv) {
        return new CommandResult(argv, CommandResult.Outcome.TIMED_OUT, -1, "", "", false, Duration.ofSeconds(5));
    }
}
