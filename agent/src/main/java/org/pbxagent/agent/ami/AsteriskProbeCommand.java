package org.pbxagent.agent.ami;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pbx-agent asterisk-probe}: one bounded AMI check for the pbx-asterisk resource agent. Prints one line
 * ({@code ami=up booted=yes calls=N} or {@code ami=down reason=...}) and exits with the OCF code the agent returns:
 * 0 up, 7 nothing listening, 1 silent, garbled or shutting down ("Asterisk is shutting down": it is going away, and
 * is no configuration error), 6 login refused (configuration).
 */
@Command(
        name = "asterisk-probe",
        mixinStandardHelpOptions = true,
        description =
                "Bounded one-shot AMI probe of the local Asterisk (exit 0 up, 1 no answer, 6 login refused, 7 not listening).")
public final class AsteriskProbeCommand implements Callable<Integer> {

    static final String DEFAULT_SECRET_ENV = "PBX_AMI_SECRET";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "AMI address (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "5038", description = "AMI port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--user", required = true, description = "AMI user (manager.conf section).")
    String user;

    @Option(names = "--secret-file", description = "File holding the AMI secret (first line).")
    Path secretFile;

    @Option(
            names = "--secret-env",
            defaultValue = DEFAULT_SECRET_ENV,
            description =
                    "Environment variable holding the AMI secret when no file is given (default ${DEFAULT-VALUE}).")
    String secretEnv;

    @Option(
            names = "--timeout-ms",
            defaultValue = "3000",
            description = "Whole budget of the probe (default ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(
            names = "--wait-booted",
            description = "Retry until Asterisk answers fully booted or the budget ends (for start).")
    boolean waitBooted;

    @Option(names = "--calls", description = "Also count active calls (core show channels count).")
    boolean calls;

    @Option(
            names = "--core-stop",
            description = "Ask for 'core stop <gracefully|when convenient|now>' after the check.")
    String coreStop;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String problem = validate();
        if (problem != null) {
            err.println("asterisk-probe: " + problem);
            err.flush();
            return 6;
        }
        String secret;
        try {
            secret = secret();
        } catch (IOException | IllegalStateException e) {
            err.println("asterisk-probe: " + e.getMessage());
            err.flush();
            return 6;
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        AmiProbe probe = new AmiProbe(new InetSocketAddress(host, port), user, secret);
        AmiProbe.Outcome outcome = probe.probe(deadline, calls, coreStop);
        while (waitBooted
                && outcome.verdict() != AmiProbe.Verdict.UP
                && outcome.verdict() != AmiProbe.Verdict.AUTH_FAILED
                && deadline - System.nanoTime() > 100_000_000L) {
            try {
                // Short step: start time is what Pacemaker's failover time is made of.
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            outcome = probe.probe(deadline, calls, coreStop);
        }
        if (outcome.verdict() == AmiProbe.Verdict.UP) {
            out.println("ami=up booted=yes" + (outcome.calls() >= 0 ? " calls=" + outcome.calls() : ""));
        } else {
            out.println("ami=down reason=" + outcome.detail().replace(' ', '_'));
            err.println("asterisk-probe: " + outcome.detail());
        }
        out.flush();
        err.flush();
        return outcome.verdict().ocfCode;
    }

    private String validate() {
        if (port < 1 || port > 65535) {
            return "--port must be 1..65535, got " + port;
        }
        if (timeoutMs < 100 || timeoutMs > 600_000) {
            return "--timeout-ms must be 100..600000, got " + timeoutMs;
        }
        if (user.isBlank() || user.indexOf('\r') >= 0 || user.indexOf('\n') >= 0) {
            return "--user must be one non-empty line";
        }
        if (coreStop != null && !coreStop.matches("gracefully|when convenient|now")) {
            return "--core-stop must be gracefully, 'when convenient' or now";
        }
        return null;
    }

    private String secret() throws IOException {
        String s;
        if (secretFile != null) {
            String text = Files.readString(secretFile, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            s = (nl >= 0 ? text.substring(0, nl) : text).strip();
        } else {
            s = System.getenv(secretEnv);
            if (s == null) {
                throw new IllegalStateException(
                        "no AMI secret: set --secret-file or the environment variable " + secretEnv);
            }
        }
        if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) {
            throw new IllegalStateException("AMI secret must be one line");
        }
        return s;
    }

    /** Standalone entry, so the probe works before (and without) the daemon's command tree. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new AsteriskProbeCommand()).execute(args));
    }
}
