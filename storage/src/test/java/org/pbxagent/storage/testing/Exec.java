package org.pbxagent.storage.testing;

import java.time.Duration;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;

/** Setup commands in tests, through the same bounded runner the product uses; failures stop the test. */
public final class Exec {

    private static final ProcessCommandRunner RUNNER = new ProcessCommandRunner();

    private Exec() {}

    public static CommandResult run(String... argv) {
        return RUNNER.run(BoundedCommand.of(Duration.ofSeconds(30), argv));
    }

    public static String ok(String... argv) {
        CommandResult r = run(argv);
        if (!r.ok()) {
            throw new IllegalStateException(
                    String.join(" ", argv) + ": " + r.reason() + "\n" + r.stdout() + r.stderr());
        }
        return r.stdout();
    }
}
