package org.pbxagent.fastagi.routing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DeferredScript;
import org.pbxagent.fastagi.RouteAction;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code feature} script: feature codes an internal phone dials that change its own extension (FreePBX's codes),
 * {@code feature?tenant=T&ext=${CALLERID(num)}&code=*72&number=N}. The caller's extension is the channel's caller ID
 * (authenticated by the proxy's registrar), never taken from the dialled digits. The change is one UPDATE of the
 * extension's row on a small bounded pool, never on a selector thread; the answer is {@code PLAYBACK} of a
 * confirmation, or of a refusal when the DB does not take the write within the bound (nothing changed then). The
 * snapshot follows through the usual routing_version bump.
 */
public final class FeatureCodes implements DeferredScript {
    private static final Logger log = LoggerFactory.getLogger(FeatureCodes.class);

    public static final String NAME = "feature";
    /** Played when the DB cannot take the change now. */
    static final String PROMPT_FAILED = "cannot-complete-temp-error";
    /** Played for a code, caller or number that cannot be used. */
    static final String PROMPT_INVALID = "cannot-complete-as-dialed";

    /** A code, the column it sets, whether it takes a number, and what the caller hears once it is done. */
    enum Code {
        FORWARD_ALWAYS_ON("*72", "forward_always", true, "call-fwd-unconditional&activated"),
        FORWARD_ALWAYS_OFF("*73", "forward_always", false, "call-fwd-unconditional&de-activated"),
        FORWARD_BUSY_ON("*90", "forward_busy", true, "call-fwd-on-busy&activated"),
        FORWARD_BUSY_OFF("*91", "forward_busy", false, "call-fwd-on-busy&de-activated"),
        FORWARD_NO_ANSWER_ON("*92", "forward_no_answer", true, "call-fwd-no-ans&activated"),
        FORWARD_NO_ANSWER_OFF("*93", "forward_no_answer", false, "call-fwd-no-ans&de-activated"),
        DND_ON("*78", "dnd", false, "do-not-disturb&activated"),
        DND_OFF("*79", "dnd", false, "do-not-disturb&de-activated");

        final String digits;
        final String column;
        final boolean takesNumber;
        final String confirmation;

        Code(String digits, String column, boolean takesNumber, String confirmation) {
            this.digits = digits;
            this.column = column;
            this.takesNumber = takesNumber;
            this.confirmation = confirmation;
        }

        static Code of(String digits) {
            for (Code c : values()) {
                if (c.digits.equals(digits)) {
                    return c;
                }
            }
            return null;
        }
    }

    private final DataSource ds;
    private final RoutingService.RouterSource routers;
    private final Duration timeout;
    private final ThreadPoolExecutor writers;

    /**
     * @param timeout how long a write may take before the caller hears the refusal (and the statement is abandoned)
     */
    public FeatureCodes(DataSource ds, RoutingService.RouterSource routers, Duration timeout) {
        this.ds = ds;
        this.routers = routers;
        this.timeout = timeout;
        // Two writers and a short queue: a slow DB refuses further changes at once instead of piling them up.
        this.writers = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16), r -> {
            Thread t = new Thread(r, "feature-code-writer");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete answers every outcome, failures included
    public void decide(AgiRequest request, Consumer<RouteDecision> answer) {
        CallRouter router = routers.router();
        String tenant = CallRouter.input(request, "tenant", null, null);
        tenant = tenant == null ? CallRouter.DEFAULT_TENANT : tenant;
        String ext = CallRouter.input(request, "ext", request.callerIdNumber(), null);
        String dialled = CallRouter.input(request, "code", null, null);
        Code code = Code.of(dialled);
        String number = CallRouter.input(request, "number", null, null);
        Tenant t = router == null || !Tenant.NAME.matcher(tenant).matches()
                ? null
                : router.state().snapshot().tenant(tenant);
        Tenant.Extension e = t == null ? null : t.extension(ext);
        String invalid = t == null
                ? "unknown-tenant"
                : e == null
                        ? "feature-unknown-caller"
                        : code == null && !VOICEMAIL_OWN.equals(dialled) && !VOICEMAIL_ANY.equals(dialled)
                                ? "feature-unknown-code"
                                : null;
        if (invalid == null && code == null) {
            answer.accept(voicemailAccess(tenant, e, dialled));
            return;
        }
        if (invalid == null && code.takesNumber) {
            invalid = forwardProblem(t, e, number);
        }
        String tenantName = t == null ? "" : tenant;
        if (invalid != null) {
            answer.accept(playback(tenantName, PROMPT_INVALID, invalid));
            return;
        }
        Object value = "dnd".equals(code.column) ? (Object) (code == Code.DND_ON) : (code.takesNumber ? number : null);
        String reason =
                "feature:" + code.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        try {
            CompletableFuture.runAsync(() -> write(tenantName, e.number, code.column, value), writers)
                    .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((ok, failure) -> {
                        if (failure == null) {
                            answer.accept(playback(tenantName, code.confirmation, reason));
                        } else {
                            log.warn(
                                    "feature code {} of {} {} not saved: {}",
                                    code.digits,
                                    tenantName,
                                    e.number,
                                    failure.toString());
                            answer.accept(playback(tenantName, PROMPT_FAILED, reason + ":failed"));
                        }
                    });
        } catch (RejectedExecutionException busy) {
            answer.accept(playback(tenantName, PROMPT_FAILED, reason + ":busy"));
        }
    }

    /** Voicemail access, answered from the snapshot: nothing to write. */
    static final String VOICEMAIL_OWN = "*97";

    static final String VOICEMAIL_ANY = "*98";

    /** *97: the caller's own box; *98: any box of the caller's voicemail context (VoiceMailMain asks which). */
    private static RouteDecision voicemailAccess(String tenant, Tenant.Extension e, String dialled) {
        String target;
        if (VOICEMAIL_OWN.equals(dialled)) {
            if (e.mailbox == null) {
                return playback(tenant, PROMPT_INVALID, "feature-no-voicemail");
            }
            target = e.mailbox;
        } else {
            int at = e.mailbox == null ? -1 : e.mailbox.indexOf('@');
            target = at < 0 ? "" : e.mailbox.substring(at);
        }
        return RouteDecision.builder()
                .set(RouteVariable.TARGET, target)
                .set(RouteVariable.TENANT, tenant)
                .set(
                        RouteVariable.REASON,
                        VOICEMAIL_OWN.equals(dialled) ? "feature:voicemail-own" : "feature:voicemail-any")
                .set(RouteVariable.ACTION, RouteAction.VOICEMAIL_MAIN.name())
                .build();
    }

    /** The same checks the compiler makes of a forward, so a user's change is never one the load would drop. */
    private static String forwardProblem(Tenant t, Tenant.Extension e, String number) {
        if (number == null || !Tenant.NUMBER.matcher(number).matches()) {
            return "feature-invalid-number";
        }
        if (number.equals(e.number)) {
            return "feature-forward-to-self";
        }
        Tenant.Extension target = t.extension(number);
        if (target != null) {
            for (int hops = 0; target != null && target.forwardAlways != null && hops < 32; hops++) {
                if (target.forwardAlways.equals(e.number)) {
                    return "feature-forward-loop";
                }
                target = t.extension(target.forwardAlways);
            }
            return null;
        }
        for (Tenant.Outbound o : t.outboundRoutes()) {
            if (o.match(number) != null) {
                Tenant.CallClass rights = t.callClassOf(e.number);
                return rights == null || rights.allows(o) ? null : "call-class:" + rights.name + ":" + o.name;
            }
        }
        return "feature-no-route";
    }

    private void write(String tenant, String number, String column, Object value) {
        // column comes from Code, never from the call; the values are parameters
        String sql = "UPDATE extension SET " + column + " = ? WHERE number = ?"
                + " AND tenant_id = (SELECT id FROM tenant WHERE name = ?)";
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            ps.setObject(1, value);
            ps.setString(2, number);
            ps.setString(3, tenant);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("extension " + number + " of " + tenant + " is not in the DB");
            }
        } catch (java.sql.SQLException ex) {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
    }

    private static RouteDecision playback(String tenant, String prompt, String reason) {
        return RouteDecision.builder()
                .set(RouteVariable.TARGET, prompt)
                .set(RouteVariable.TENANT, tenant)
                .set(RouteVariable.REASON, reason)
                .set(RouteVariable.ACTION, RouteAction.PLAYBACK.name())
                .build();
    }

    /** Ends the writers; a write under way finishes or times out on its own. */
    public void close() {
        writers.shutdownNow();
    }
}
