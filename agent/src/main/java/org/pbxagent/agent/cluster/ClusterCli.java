package org.pbxagent.agent.cluster;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The resource agents' commands on their own, for a launcher that must start fast (a monitor pays the JVM start on
 * every run) or before the daemon's command tree registers them.
 */
@Command(name = "pbx-agent", mixinStandardHelpOptions = true, subcommands = AsteriskProbeCommand.class,
        description = "Commands the OCF resource agents call.")
public final class ClusterCli implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClusterCli()).execute(args));
    }
}
