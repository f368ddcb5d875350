package org.pbxagent.agent.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pbxagent.agent.config.AgentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Validates a configuration file without starting anything; prints the effective settings, secrets masked. */
@Command(
        name = "check-config",
        mixinStandardHelpOptions = true,
        description = "Validate a configuration file (every problem at once) and print the effective settings "
                + "with secrets masked. Exit 0 when valid, 2 when not.")
public final class CheckConfigCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "pbx-agent.properties")
    Path config;

    @Option(
            names = {"-q", "--quiet"},
            description = "print nothing when the file is valid")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AgentConfig c = ConfigLoading.load(config, spec.commandLine().getErr());
        if (c == null) {
            return PbxAgent.EXIT_USAGE;
        }
        if (!quiet) {
            spec.commandLine().getOut().println(config + ": valid");
            spec.commandLine().getOut().print(c);
            spec.commandLine().getOut().flush();
        }
        return PbxAgent.EXIT_OK;
    }
}
