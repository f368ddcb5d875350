package org.pbxagent.agent.cli;

import org.pbxagent.agent.daemon.AgentDaemon;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pbx-agent} command itself: its name, version and usage, and the exit codes shared by all subcommands:
 * 0 success, 1 failure at run time, 2 bad usage or bad configuration; {@code status} adds 3 for "no agent
 * answering".
 *
 * <p>The subcommands are added where the whole command line is put together, {@code app.Main}: the commands of
 * other packages use these exit codes, so this class names none of them.
 */
@Command(
        name = "pbx-agent",
        mixinStandardHelpOptions = true,
        versionProvider = PbxAgent.Version.class,
        description = "Agent for an Asterisk node of a Kamailio/Pacemaker cluster: FastAGI routing from the "
                + "shared DB, load reporting and drain, shared storage, Pacemaker hooks.")
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

    /** Version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pbx-agent " + AgentDaemon.version()};
        }
    }
}
