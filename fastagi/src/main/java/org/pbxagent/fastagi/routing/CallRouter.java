package org.pbxagent.fastagi.routing;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteAction;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;

/**
 * The routing decisions behind the {@code route}, {@code outbound}, {@code next} and {@code ivr} scripts. Reads one
 * volatile {@link State} (snapshot + degraded flag) per call: no lock, no I/O, no DB.
 *
 * <p>Every answer sets ROUTE_TARGET, ROUTE_TIMEOUT, ROUTE_OPTIONS, ROUTE_STEP, ROUTE_TENANT, ROUTE_REASON,
 * ROUTE_DEGRADED and, last, ROUTE_ACTION: if the session breaks half-way the dialplan sees no ROUTE_ACTION and takes
 * its fallback instead of acting on a partial answer. ROUTE_CALLERID_NUM / ROUTE_CALLERID_NAME and
 * ROUTE_LIMIT / ROUTE_LIMIT_GROUP are set only when they apply (the dialplan clears ROUTE_* before each AGI).
 */
public final class CallRouter {
    /** Hops through forwards and routes one decision may take before it gives up (data loops are refused at load). */
    static final int MAX_HOPS = 8;

    static final String DEFAULT_TENANT = "default";

    /** Snapshot and whether it is served while the DB is unreachable; swapped as one reference. */
    public record State(RoutingSnapshot snapshot, boolean degraded) {}

    private volatile State state;
    private final Clock clock;

    public CallRouter(State initial, Clock clock) {
        this.state = initial;
        this.clock = clock;
    }

    public void update(State next) {
        this.state = next;
    }

    public State state() {
        return state;
    }

    // ------------------------------------------------------------------------------------------------ scripts

    /** {@code route?tenant=T&did=D[&cid=C]}: a call arriving for a DID or an extension number. */
    public RouteDecision route(AgiRequest request) {
        State s = state;
        Answer a = new Answer(s.degraded());
        String tenantName = tenantOf(request);
        Tenant t = tenant(s, tenantName, a);
        if (t == null) {
            return a.build();
        }
        String did = input(request, "did", request.dnid(), request.extension());
        String cid = callerIdOf(request);
        if (did == null || !Tenant.NUMBER.matcher(did).matches()) {
            return a.hangup("1", "invalid-number");
        }
        if (t.blocked(cid)) {
            return a.hangup("21", "blocked");
        }
        Tenant.Inbound r = t.inbound(did, cid);
        if (r != null) {
            destination(t, r.destination, a, 0, "route:" + r.name);
            return a.build();
        }
        if (t.extension(did) != null) {
            extension(t, t.extension(did), a, 0, "extension");
            return a.build();
        }
        Tenant.RingGroup group = t.ringGroup(did);
        if (group != null) {
            ringGroup(t, group, a, 0);
            return a.build();
        }
        return a.hangup("1", "no-route");
    }

    /** {@code outbound?tenant=T&ext=E&number=N}: a number dialled by an internal extension. */
    public RouteDecision outbound(AgiRequest request) {
        State s = state;
        Answer a = new Answer(s.degraded());
        Tenant t = tenant(s, tenantOf(request), a);
        if (t == null) {
            return a.build();
        }
        String number = input(request, "number", request.extension(), null);
        if (number == null || !Tenant.NUMBER.matcher(number).matches()) {
            return a.hangup("1", "invalid-number");
        }
        if (t.extension(number) != null) {
            extension(t, t.extension(number), a, 0, "internal");
            return a.build();
        }
        Tenant.RingGroup group = t.ringGroup(number);
        if (group != null) {
            ringGroup(t, group, a, 0);
            return a.build();
        }
        String caller = input(request, "ext", request.callerIdNumber(), null);
        Tenant.Extension from = caller == null ? null : t.extension(caller);
        Tenant.CallClass rights = from == null ? null : t.callClassOf(from.number);
        if (rights != null) {
            classDial(t, number, from, rights, a);
            return a.build();
        }
        if (!outboundDial(t, number, from, a, "outbound")) {
            a.action(RouteAction.CONGESTION).reason("no-outbound-route");
        }
        return a.build();
    }

    /** {@code next?tenant=T&step=S&dialstatus=D}: what to do after a Dial or Queue returned. */
    public RouteDecision next(AgiRequest request) {
        State s = state;
        Answer a = new Answer(s.degraded());
        Tenant t = tenant(s, tenantOf(request), a);
        if (t == null) {
            return a.build();
        }
        String step = input(request, "step", null, null);
        String status = input(request, "dialstatus", null, null);
        if (status == null) {
            status = "";
        }
        if ("ANSWER".equals(status)) {
            return a.hangup("16", "answered");
        }
        if ("CANCEL".equals(status)) {
            return a.hangup("16", "caller-hung-up");
        }
        if (step == null || step.length() > 200) {
            return a.hangup("41", "unknown-step");
        }
        String[] p = step.split(":", -1);
        switch (p[0]) {
            case "ext" -> {
                Tenant.Extension e = p.length == 2 ? t.extension(p[1]) : null;
                if (e == null) {
                    return a.hangup("41", "unknown-step");
                }
                afterExtension(t, e, status, a);
            }
            case "rg" -> {
                Tenant.RingGroup g = p.length >= 2 ? t.ringGroup(p[1]) : null;
                if (g == null) {
                    return a.hangup("41", "unknown-step");
                }
                if (g.hunt && p.length == 3) {
                    int from = parseIndex(p[2]);
                    if (from < 0) {
                        return a.hangup("41", "unknown-step");
                    }
                    if (!hunt(t, g, from + 1, a)) {
                        destination(t, g.noAnswer, a, 1, "ring-group-no-answer");
                    }
                } else {
                    destination(t, g.noAnswer, a, 1, "ring-group-no-answer");
                }
            }
            case "q" -> {
                Tenant.Queue q = p.length == 2 ? t.queue(p[1]) : null;
                if (q == null) {
                    return a.hangup("41", "unknown-step");
                }
                destination(
                        t,
                        q.failover,
                        a,
                        1,
                        "queue-" + (status.isEmpty() ? "failed" : status.toLowerCase(Locale.ROOT)));
            }
            case "out" -> {
                Tenant.Outbound o = p.length == 4 ? t.outboundRoute(p[1]) : null;
                int index = p.length == 4 ? parseIndex(p[2]) : -1;
                if (o == null || index < 0 || !Tenant.NUMBER.matcher(p[3]).matches()) {
                    return a.hangup("41", "unknown-step");
                }
                switch (status) {
                    case "BUSY" -> a.action(RouteAction.BUSY).reason("callee-busy");
                    case "NOANSWER" -> a.hangup("19", "no-answer");
                    default -> {
                        // CHANUNAVAIL, CONGESTION, anything else: the trunk failed, not the callee: next trunk
                        Tenant.DialPattern dp = o.match(p[3]);
                        if (dp == null || index + 1 >= o.trunkDialStrings.size()) {
                            a.action(RouteAction.CONGESTION).reason("all-trunks-failed");
                        } else {
                            dialTrunk(o, dp, p[3], index + 1, a, "trunk-failover");
                        }
                    }
                }
            }
            default -> {
                return a.hangup("41", "unknown-step");
            }
        }
        return a.build();
    }

    /**
     * {@code ivr?tenant=T&step=S&digits=D}: the digits a caller pressed in an IVR menu step ({@code step} is the
     * ROUTE_STEP of the IVR answer, {@code ivr:<menu>:<invalid tries>:<timeouts>}); no digits is a timeout. A key of
     * the menu leads to its destination, an extension number to the extension when the menu allows direct dial;
     * anything else is invalid. Invalid input and silence offer the menu again with their own prompt until the
     * retries are used up, then the call goes to the menu's invalid or timeout destination.
     */
    public RouteDecision ivr(AgiRequest request) {
        State s = state;
        Answer a = new Answer(s.degraded());
        Tenant t = tenant(s, tenantOf(request), a);
        if (t == null) {
            return a.build();
        }
        String step = input(request, "step", null, null);
        String[] p = step == null || step.length() > 200 ? null : step.split(":", -1);
        Tenant.Ivr m = p != null && p.length == 4 && "ivr".equals(p[0]) ? t.ivr(p[1]) : null;
        int invalid = m == null ? -1 : parseIndex(p[2]);
        int timeouts = m == null ? -1 : parseIndex(p[3]);
        if (m == null || invalid < 0 || timeouts < 0) {
            return a.hangup("41", "unknown-step");
        }
        String digits = input(request, "digits", null, null);
        if (digits == null) {
            if (timeouts + 1 > m.timeoutRetries) {
                destination(t, m.timeout, a, 0, "ivr:" + m.name + ":timeout");
            } else {
                ivrStep(m, m.timeoutPrompt, invalid, timeouts + 1, a, "ivr-timeout");
            }
            return a.build();
        }
        Destination choice = Tenant.NUMBER.matcher(digits).matches() ? m.option(digits) : null;
        if (choice != null) {
            destination(t, choice, a, 0, "ivr:" + m.name + ":" + digits);
        } else if (m.directDial && Tenant.NUMBER.matcher(digits).matches() && t.extension(digits) != null) {
            extension(t, t.extension(digits), a, 0, "ivr:" + m.name + ":direct");
        } else if (invalid + 1 > m.invalidRetries) {
            destination(t, m.invalid, a, 0, "ivr:" + m.name + ":invalid");
        } else {
            ivrStep(m, m.invalidPrompt, invalid + 1, timeouts, a, "ivr-invalid");
        }
        return a.build();
    }

    // ------------------------------------------------------------------------------------------------ logic

    /** One menu step for the dialplan: play the prompt, read the digits, hand them to {@link #ivr}. */
    private static void ivrStep(Tenant.Ivr m, String prompt, int invalid, int timeouts, Answer a, String reason) {
        a.action(RouteAction.IVR)
                .target(prompt)
                .timeout(m.digitTimeout)
                .step("ivr:" + m.name + ":" + invalid + ":" + timeouts)
                .reason(reason);
        a.set(RouteVariable.IVR_MAX_DIGITS, m.maxDigits);
    }

    private void destination(Tenant t, Destination d, Answer a, int hops, String reason) {
        if (hops > MAX_HOPS) {
            a.action(RouteAction.CONGESTION).reason("too-many-hops");
            return;
        }
        switch (d.type()) {
            case EXTENSION -> extension(t, t.extension(d.ref()), a, hops, reason);
            case VOICEMAIL -> voicemail(t.extension(d.ref()), "u", a, reason);
            case RING_GROUP -> ringGroup(t, t.ringGroup(d.ref()), a, hops);
            case QUEUE -> {
                Tenant.Queue q = t.queue(d.ref());
                a.action(RouteAction.QUEUE)
                        .target(q.asteriskQueue)
                        .timeout(q.maxWait)
                        .step("q:" + q.name)
                        .reason(reason);
            }
            case PLAYBACK -> a.action(RouteAction.PLAYBACK).target(d.ref()).reason(reason);
            case HANGUP -> a.action(RouteAction.HANGUP).target(d.ref()).reason(reason);
            case ROUTE -> {
                Tenant.Inbound r = t.route(d.ref());
                destination(t, r.destination, a, hops + 1, "route:" + r.name);
            }
            case IVR -> ivrStep(t.ivr(d.ref()), t.ivr(d.ref()).prompt, 0, 0, a, reason);
            case TIME_CONDITION -> {
                Tenant.TimeCondition c = t.timeCondition(d.ref());
                boolean open = c.matches(clock.instant());
                destination(
                        t,
                        open ? c.match : c.otherwise,
                        a,
                        hops + 1,
                        "time-condition:" + c.name + (open ? ":match" : ":else"));
            }
        }
    }

    private void extension(Tenant t, Tenant.Extension e, Answer a, int hops, String reason) {
        if (e.forwardAlways != null) {
            forward(t, e.forwardAlways, a, hops + 1, "forward-always");
            return;
        }
        if (e.dnd) {
            if (e.mailbox != null) {
                voicemail(e, "b", a, "dnd");
            } else {
                a.action(RouteAction.BUSY).reason("dnd");
            }
            return;
        }
        a.action(RouteAction.DIAL)
                .target(e.endpoint)
                .timeout(e.ringTime)
                .step("ext:" + e.number)
                .reason(reason);
        if (e.callLimit > 0) {
            a.limit(e.callLimit, t.name() + "-" + e.number);
        }
    }

    private void afterExtension(Tenant t, Tenant.Extension e, String status, Answer a) {
        switch (status) {
            case "BUSY" -> {
                if (e.forwardBusy != null) {
                    forward(t, e.forwardBusy, a, 1, "forward-busy");
                } else if (e.mailbox != null) {
                    voicemail(e, "b", a, "voicemail-busy");
                } else {
                    a.action(RouteAction.BUSY).reason("busy");
                }
            }
            case "NOANSWER" -> {
                if (e.forwardNoAnswer != null) {
                    forward(t, e.forwardNoAnswer, a, 1, "forward-no-answer");
                } else if (e.mailbox != null) {
                    voicemail(e, "u", a, "voicemail-no-answer");
                } else {
                    a.hangup("19", "no-answer");
                }
            }
            default -> {
                // CHANUNAVAIL, CONGESTION, DONTCALL, INVALIDARGS ...: the phone cannot be reached
                if (e.mailbox != null) {
                    voicemail(e, "u", a, "voicemail-unavailable");
                } else {
                    a.action(RouteAction.CONGESTION).reason("unavailable");
                }
            }
        }
    }

    private void forward(Tenant t, String number, Answer a, int hops, String reason) {
        if (hops > MAX_HOPS) {
            a.action(RouteAction.CONGESTION).reason("too-many-hops");
            return;
        }
        Tenant.Extension target = t.extension(number);
        if (target != null) {
            extension(t, target, a, hops, reason);
        } else if (!outboundDial(t, number, null, a, reason)) {
            a.action(RouteAction.CONGESTION).reason(reason + "-no-route");
        }
    }

    private static void voicemail(Tenant.Extension e, String greeting, Answer a, String reason) {
        a.action(RouteAction.VOICEMAIL).target(e.mailbox).options(greeting).reason(reason);
    }

    private void ringGroup(Tenant t, Tenant.RingGroup g, Answer a, int hops) {
        if (g.hunt) {
            if (!hunt(t, g, 0, a)) {
                destination(t, g.noAnswer, a, hops + 1, "ring-group-no-member");
            }
            return;
        }
        StringBuilder target = new StringBuilder();
        for (int i = 0; i < g.members.size(); i++) {
            Tenant.Extension m = t.extension(g.members.get(i));
            if (!m.dnd) {
                if (target.length() > 0) {
                    target.append('&');
                }
                target.append(m.endpoint);
            }
        }
        if (target.length() == 0) {
            destination(t, g.noAnswer, a, hops + 1, "ring-group-no-member");
        } else {
            a.action(RouteAction.DIAL)
                    .target(target.toString())
                    .timeout(g.ringTime)
                    .step("rg:" + g.number)
                    .reason("ring-all");
        }
    }

    /** Dials the first member at or after {@code from} that is not on DND; false when none is left. */
    private static boolean hunt(Tenant t, Tenant.RingGroup g, int from, Answer a) {
        for (int i = from; i < g.members.size(); i++) {
            Tenant.Extension m = t.extension(g.members.get(i));
            if (!m.dnd) {
                a.action(RouteAction.DIAL)
                        .target(m.endpoint)
                        .timeout(g.ringTime)
                        .step("rg:" + g.number + ":" + i)
                        .reason("hunt");
                return true;
            }
        }
        return false;
    }

    private static boolean outboundDial(Tenant t, String number, Tenant.Extension from, Answer a, String reason) {
        List<Tenant.Outbound> routes = t.outboundRoutes();
        for (int i = 0; i < routes.size(); i++) {
            Tenant.Outbound o = routes.get(i);
            Tenant.DialPattern dp = o.match(number);
            if (dp != null) {
                dialTrunk(o, dp, number, 0, a, reason);
                String cid = from != null && from.outboundCallerId != null ? from.outboundCallerId : o.callerIdNumber;
                if (cid != null) {
                    a.set(RouteVariable.CALLERID_NUM, cid);
                }
                if (o.callerIdName != null) {
                    a.set(RouteVariable.CALLERID_NAME, o.callerIdName);
                }
                return true;
            }
        }
        return false;
    }

    /**
     * An outbound call of an extension in a call class: the route the number takes (the first that matches, in
     * order, as for everyone) must be one the class allows; else the class's prompt and
     * {@code call-class:<class>:<route>}. A lower route that also matches is not tried: a catch-all route must not
     * let a local-only class dial international numbers.
     */
    private static void classDial(Tenant t, String number, Tenant.Extension from, Tenant.CallClass rights, Answer a) {
        List<Tenant.Outbound> routes = t.outboundRoutes();
        for (int i = 0; i < routes.size(); i++) {
            Tenant.Outbound o = routes.get(i);
            Tenant.DialPattern dp = o.match(number);
            if (dp == null) {
                continue;
            }
            if (!rights.allows(o)) {
                a.action(RouteAction.PLAYBACK)
                        .target(rights.refusalPrompt)
                        .reason("call-class:" + rights.name + ":" + o.name);
                return;
            }
            dialTrunk(o, dp, number, 0, a, "outbound");
            String cid = from.outboundCallerId != null ? from.outboundCallerId : o.callerIdNumber;
            if (cid != null) {
                a.set(RouteVariable.CALLERID_NUM, cid);
            }
            if (o.callerIdName != null) {
                a.set(RouteVariable.CALLERID_NAME, o.callerIdName);
            }
            return;
        }
        a.action(RouteAction.CONGESTION).reason("no-outbound-route");
    }

    private static void dialTrunk(
            Tenant.Outbound o, Tenant.DialPattern dp, String number, int index, Answer a, String reason) {
        String dialled = dp.prepend + number.substring(dp.strip);
        a.action(RouteAction.DIAL)
                .target(o.trunkDialStrings.get(index).replace("{number}", dialled))
                .timeout(o.ringTime)
                .step("out:" + o.name + ":" + index + ":" + number)
                .reason(reason);
    }

    // ------------------------------------------------------------------------------------------------ input

    private static Tenant tenant(State s, String name, Answer a) {
        boolean wellFormed = name != null && Tenant.NAME.matcher(name).matches();
        // only a well-formed name is echoed back: input never reaches the AGI command line unchecked
        a.tenant(wellFormed ? name : "");
        Tenant t = wellFormed ? s.snapshot().tenant(name) : null;
        if (t == null) {
            a.action(RouteAction.CONGESTION).reason("unknown-tenant");
        }
        return t;
    }

    private static String tenantOf(AgiRequest r) {
        String t = input(r, "tenant", null, null);
        return t == null ? DEFAULT_TENANT : t;
    }

    private static String callerIdOf(AgiRequest r) {
        String cid = input(r, "cid", r.callerIdNumber(), null);
        return cid == null || "unknown".equals(cid) ? null : cid;
    }

    /**
     * A named input: the query-string parameter, else an {@code agi_arg_N} of the form {@code name=value}, else the
     * given channel values in order. Empty values count as absent.
     */
    static String input(AgiRequest r, String name, String env1, String env2) {
        String v = r.parameter(name);
        if (v == null || v.isEmpty()) {
            v = null;
            List<String> args = r.arguments();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                if (arg != null
                        && arg.length() > name.length()
                        && arg.startsWith(name)
                        && arg.charAt(name.length()) == '=') {
                    v = arg.substring(name.length() + 1);
                    break;
                }
            }
        }
        if (v == null || v.isEmpty()) {
            v = env1 != null && !env1.isEmpty() ? env1 : env2;
        }
        return v == null || v.isEmpty() ? null : v.trim();
    }

    private static int parseIndex(String s) {
        if (s.isEmpty() || s.length() > 3) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /** Collects one answer; ROUTE_ACTION goes last. */
    private static final class Answer {
        private final boolean degraded;
        private final RouteDecision.Builder extra = RouteDecision.builder();
        private RouteAction action;
        private String target = "";
        private String timeout = "";
        private String options = "";
        private String step = "";
        private String tenant = "";
        private String reason = "";

        Answer(boolean degraded) {
            this.degraded = degraded;
        }

        Answer action(RouteAction v) {
            action = v;
            return this;
        }

        Answer target(String v) {
            target = v;
            return this;
        }

        Answer timeout(int seconds) {
            timeout = Integer.toString(seconds);
            return this;
        }

        Answer options(String v) {
            options = v;
            return this;
        }

        Answer step(String v) {
            step = v;
            return this;
        }

        Answer reason(String v) {
            reason = v;
            return this;
        }

        void tenant(String v) {
            tenant = v == null ? "" : v;
        }

        void set(RouteVariable name, String value) {
            extra.set(name, value);
        }

        void limit(int limit, String group) {
            extra.set(RouteVariable.LIMIT, Integer.toString(limit));
            extra.set(RouteVariable.LIMIT_GROUP, group);
        }

        RouteDecision hangup(String cause, String why) {
            action = RouteAction.HANGUP;
            target = cause;
            reason = why;
            return build();
        }

        RouteDecision build() {
            RouteDecision.Builder b = RouteDecision.builder()
                    .set(RouteVariable.TARGET, target)
                    .set(RouteVariable.TIMEOUT, timeout)
                    .set(RouteVariable.OPTIONS, options)
                    .set(RouteVariable.STEP, step)
                    .set(RouteVariable.TENANT, tenant)
                    .set(RouteVariable.REASON, reason);
            RouteDecision x = extra.build();
            for (int i = 0; i < x.size(); i++) {
                b.set(x.name(i), x.value(i));
            }
            return b.set(RouteVariable.DEGRADED, degraded ? RouteVariable.DEGRADED_YES : RouteVariable.DEGRADED_NO)
                    .set(RouteVariable.ACTION, (action == null ? RouteAction.CONGESTION : action).name())
                    .build();
        }
    }
}
