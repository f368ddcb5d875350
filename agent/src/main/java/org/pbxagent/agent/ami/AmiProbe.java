package org.pbxagent.agent.ami;

import java.net.InetSocketAddress;
import org.pbxagent.agent.ami.AmiConnection.AmiException;

/**
 * One bounded AMI exchange with the local Asterisk, for the resource agents. Unlike a long-lived manager connection
 * it never reconnects and never waits past its deadline: a hung Asterisk must turn into a failed monitor within the
 * monitor's timeout, never into a monitor that Pacemaker has to kill. The wire work is {@link AmiConnection}'s.
 */
public final class AmiProbe {

    /** What one probe saw. {@code calls} is -1 when not asked for. */
    public record Outcome(Verdict verdict, boolean fullyBooted, int calls, String detail) {}

    /** Maps one to one onto the OCF exit code the agent returns. */
    public enum Verdict {
        UP(0),
        NO_ANSWER(1),
        STOPPING(1),
        REFUSED(7),
        AUTH_FAILED(6);
        public final int ocfCode;

        Verdict(int ocfCode) {
            this.ocfCode = ocfCode;
        }
    }

    private static final int MAX_LINE = 8192;
    /** The Logoff's own bound: the probe's answer is known by then, so it must not spend the budget. */
    private static final int LOGOFF_MS = 200;

    private final InetSocketAddress address;
    private final String user;
    private final String secret;

    public AmiProbe(InetSocketAddress address, String user, String secret) {
        this.address = address;
        this.user = user;
        this.secret = secret;
    }

    /**
     * Logs in and waits for FullyBooted, optionally counts calls and optionally asks for a core stop; all of it
     * before {@code deadlineNanos} (System.nanoTime()).
     */
    public Outcome probe(long deadlineNanos, boolean countCalls, String coreStop) {
        boolean booted = false;
        try (AmiConnection c = AmiConnection.open(
                address.getHostString(),
                address.getPort(),
                remainingMillis(deadlineNanos),
                MAX_LINE,
                (what, sample) -> {})) {
            c.login(user, secret, "system", remainingMillis(deadlineNanos));
            // Asterisk sends FullyBooted right after a successful login once it has booted; before that it
            // comes when the boot ends. A Ping answered in order proves the manager thread is alive either way.
            c.ping(remainingMillis(deadlineNanos));
            c.awaitFullyBooted(remainingMillis(deadlineNanos));
            booted = true;
            int calls =
                    countCalls ? c.callCounts(remainingMillis(deadlineNanos)).calls() : -1;
            if (coreStop != null) {
                try {
                    c.command("core stop " + coreStop, remainingMillis(deadlineNanos));
                } catch (AmiException e) {
                    // A graceful stop answers only when the calls have ended, or closes: asked for either way.
                }
            }
            c.logoff((int) Math.min(LOGOFF_MS, Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L)));
            return new Outcome(Verdict.UP, true, calls, "AMI answered");
        } catch (AmiException e) {
            Verdict v = switch (e.kind()) {
                case REFUSED -> Verdict.REFUSED;
                case AUTH_FAILED -> Verdict.AUTH_FAILED;
                case SHUTTING_DOWN -> Verdict.STOPPING;
                default -> Verdict.NO_ANSWER;
            };
            String detail = e.kind() == AmiException.Kind.REFUSED
                    ? "nothing listens on AMI " + address
                    : e.kind() == AmiException.Kind.AUTH_FAILED ? "AMI login refused" : "AMI: " + e.getMessage();
            return new Outcome(v, booted, -1, detail);
        }
    }

    /** Milliseconds left before the deadline; a passed deadline is a silent Asterisk. */
    static int remainingMillis(long deadlineNanos) throws AmiException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) {
            throw new AmiException(AmiException.Kind.NO_ANSWER, "AMI silent past the deadline");
        }
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }
}
