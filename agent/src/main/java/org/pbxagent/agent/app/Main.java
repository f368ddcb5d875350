package org.pbxagent.agent.app;

import org.pbxagent.agent.ami.AsteriskProbeCommand;
import org.pbxagent.agent.cli.AgiCallCommand;
import org.pbxagent.agent.cli.CheckConfigCommand;
import org.pbxagent.agent.cli.DrainCommand;
import org.pbxagent.agent.cli.PbxAgent;
import org.pbxagent.agent.cli.RunCommand;
import org.pbxagent.agent.cli.StatusCommand;
import org.pbxagent.agent.demo.DemoCommand;
import org.pbxagent.agent.routing.RoutingCommand;
import org.pbxagent.agent.storage.FenceCommand;
import org.pbxagent.agent.storage.StorageCommand;
import picocli.CommandLine;

/**
 * The agent's entry point (the jar's {@code Main-Class}): the {@code pbx-agent} command with every subcommand. A
 * capability's command is registered here, one line each, in the order {@code pbx-agent help} lists them.
 */
public final class Main {
    private Main() {}

    /** The whole command line, ready to {@code execute}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PbxAgent())
                .addSubcommand(RunCommand.class)
                .addSubcommand(DemoCommand.class)
                .addSubcommand(CheckConfigCommand.class)
                .addSubcommand(StatusCommand.class)
                .addSubcommand(DrainCommand.Drain.class)
                .addSubcommand(DrainCommand.Undrain.class)
                .addSubcommand(AgiCallCommand.class)
                .addSubcommand(RoutingCommand.class)
                .addSubcommand(AsteriskProbeCommand.class)
                .addSubcommand(StorageCommand.class)
                .addSubcommand(FenceCommand.class)
                .addSubcommand(CommandLine.HelpCommand.class);
        // After the subcommands: the setting reaches only those already added.
        return cl.setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
