package org.pbxagent.agent.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.daemon.AgentDaemon;
import org.pbxagent.agent.daemon.AgentModules;
import org.pbxagent.agent.daemon.CallListeners;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs the daemon in the foreground until SIGTERM/SIGINT; exit 0 after a graceful stop. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run the agent in the foreground until SIGTERM or Ctrl-C (graceful: drain, let FastAGI "
                + "sessions finish, stop). Exit 0 after a clean stop, 1 when the start failed, 2 on a bad "
                + "configuration.")
public final class RunCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "pbx-agent.properties")
    Path config;

    @Option(
            names = "--sample-data",
            description = "import the example routing documents of etc/routing into the DB before serving, "
                    + "each tenant the DB does not hold yet (for db.url = embedded and labs)")
    boolean sampleData;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        LogLevels.daemonDefaults();
        PrintWriter err = spec.commandLine().getErr();
        AgentConfig c = ConfigLoading.load(config, err);
        if (c == null) {
            return PbxAgent.EXIT_USAGE;
        }
        Shutdown shutdown = Shutdown.onSignals();
        AgentDaemon daemon;
        try {
            AgentDaemon.Options o = AgentDaemon.Options.defaults();
            daemon = AgentDaemon.start(
                    c, AgentModules.all(), new AgentDaemon.Options(sampleData, o.clock()), CallListeners.forConfig(c));
        } catch (Exception e) {
            err.println("pbx-agent run: start failed: " + e.getMessage());
            err.flush();
            return PbxAgent.EXIT_FAILURE;
        }
        shutdown.attach(daemon);
        daemon.awaitStopped();
        return PbxAgent.EXIT_OK;
    }
}
