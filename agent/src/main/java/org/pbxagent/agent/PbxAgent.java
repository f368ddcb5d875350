package org.pbxagent.agent;

import org.pbxagent.agent.cli.AgiCallCommand;
import org.pbxagent.agent.cli.CheckConfigCommand;
import org.pbxagent.agent.cli.DrainCommand;
import org.pbxagent.agent.cli.RunCommand;
import org.pbxagent.agent.cli.StatusCommand;
import org.pbxagent.agent.daemon.AgentDaemon;
import org.pbxagent.agent.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pbx-agent} command. Exit codes shared by all subcommands: 0 success, 1 failure at run time,
 * 2 bad usage or bad configuration; {@code status} adds 3 for "no agent answering".
 *
 * <p>Subcommands of other capabilities are registered here, one class per line in {@code subcommands}.
 */
@Command(
        name = "pbx-agent",
        mixinStandardHelpOptions = true,
        versionProvider = PbxAgent.Version.class,
        description = "Agent for an Asterisk node of a Kamailio/Pacemaker cluster: FastAGI routing from the "
                + "shared DB, load reporting and drain, shared storage, Pacemaker hooks.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            CheckConfigCommand.class,
            StatusCommand.class,
            DrainCommand.Drain.class,
            DrainCommand.Undrain.class,
            AgiCallCommand.class,
            org.pbxagent.agent.routing.RoutingCommand.class,
            org.pbxagent.agent.ami.AsteriskProbeCommand.class,
            org.pbxagent.agent.storage.StorageCommand.class,
            org.pbxagent.agent.storage.FenceCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class PbxAgent implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_NOT_RUNNING = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static CommandLine commandLine() {
        return new CommandLine(new PbxAgent()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** Version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pbx-agent " + AgentDaemon.version()};
        }
    }
}
