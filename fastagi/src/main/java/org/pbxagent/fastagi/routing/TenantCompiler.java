package org.pbxagent.fastagi.routing;

import static org.pbxagent.fastagi.routing.RoutingCompiler.blankToNull;
import static org.pbxagent.fastagi.routing.RoutingCompiler.zone;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.routing.Tenant.Extension;
import org.pbxagent.fastagi.routing.Tenant.Inbound;
import org.pbxagent.fastagi.routing.Tenant.Outbound;
import org.pbxagent.fastagi.routing.Tenant.Queue;
import org.pbxagent.fastagi.routing.Tenant.RingGroup;
import org.pbxagent.fastagi.routing.Tenant.TimeCondition;

/**
 * Collects one tenant's rows, then compiles and validates them into its {@link Tenant}. Each problem is one line
 * naming the tenant, the entry and what is wrong; the entry is refused (or the part of it named, left out) and the
 * rest goes on.
 */
final class TenantCompiler {
    private static final Pattern NAME = Tenant.NAME;
    private static final Pattern NUMBER = Tenant.NUMBER;
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9_]+/[A-Za-z0-9_.@:/+*#{}-]+");
    private static final Pattern SOUND = Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*");
    private static final Pattern MAILBOX = Pattern.compile("[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?");
    private static final Pattern CALLER_NAME = Pattern.compile("[\\p{L}\\p{N} ._'-]{0,64}");

    private final String name;
    /** The tenant's zone, for time conditions without their own; null when the tenant's is unknown. */
    private final ZoneId zone;

    private final List<String> problems;

    final List<RoutingData.Extension> extensionRows = new ArrayList<>();
    final List<RoutingData.TimeCondition> conditionRows = new ArrayList<>();
    final List<RoutingData.RingGroup> ringGroupRows = new ArrayList<>();
    final List<RoutingData.CallQueue> queueRows = new ArrayList<>();
    final List<RoutingData.InboundRoute> inboundRows = new ArrayList<>();
    final List<RoutingData.Trunk> trunkRows = new ArrayList<>();
    final List<RoutingData.OutboundRoute> outboundRows = new ArrayList<>();
    final List<RoutingData.BlockedCaller> blockedRows = new ArrayList<>();
    final List<RoutingData.IvrMenu> ivrRows = new ArrayList<>();
    final List<RoutingData.CallClass> callClassRows = new ArrayList<>();

    // What has been accepted so far; sorted maps give the problem lines a stable order.
    private final Map<String, Extension> extensions = new HashMap<>();
    private final List<Outbound> outbound = new ArrayList<>();
    private final Map<String, TimeCondition> conditions = new TreeMap<>();
    private final Map<String, RingGroup> groups = new TreeMap<>();
    private final Map<String, Queue> queues = new TreeMap<>();
    private final Map<String, Inbound> routes = new TreeMap<>();
    private final Map<String, Tenant.Ivr> ivrs = new TreeMap<>();
    private final Map<String, Tenant.CallClass> extensionClasses = new HashMap<>();

    /** @param problems shared by every tenant of the compilation, in the order found */
    TenantCompiler(String name, ZoneId zone, List<String> problems) {
        this.name = name;
        this.zone = zone;
        this.problems = problems;
    }

    private void problem(String what, String text) {
        problems.add("tenant " + name + ": " + what + ": " + text);
    }

    Tenant compile() {
        // 1. entries whose own fields are valid, before looking at what they point to
        Map<String, RoutingData.Extension> validExtensions = validExtensions();
        Map<String, RoutingData.Trunk> validTrunks = validTrunks();
        for (RoutingData.OutboundRoute o : outboundRows) {
            compileOutbound(o, validTrunks);
        }
        // forwarding: the target must be an extension or reachable outbound; unconditional chains must not loop
        for (RoutingData.Extension e : validExtensions.values()) {
            String fa = forwardTarget(e, "unconditional forward", e.forwardAlways(), validExtensions);
            String fb = forwardTarget(e, "forward on busy", e.forwardBusy(), validExtensions);
            String fn = forwardTarget(e, "forward on no answer", e.forwardNoAnswer(), validExtensions);
            extensions.put(
                    e.number(),
                    new Extension(
                            e.number(),
                            e.endpoint(),
                            e.displayName(),
                            blankToNull(e.voicemailBox()),
                            e.dnd(),
                            fa,
                            fb,
                            fn,
                            e.ringTime(),
                            e.callLimit(),
                            blankToNull(e.outboundCallerId())));
        }
        refuseForwardLoops();
        compileCallClasses(validExtensions);
        for (RoutingData.TimeCondition c : conditionRows) {
            TimeCondition compiled = compileCondition(c);
            if (compiled != null) {
                conditions.put(c.name(), compiled);
            }
        }
        for (RoutingData.RingGroup g : ringGroupRows) {
            compileRingGroup(g);
        }
        for (RoutingData.CallQueue q : queueRows) {
            compileQueue(q);
        }
        for (RoutingData.InboundRoute r : inboundRows) {
            compileInbound(r);
        }
        for (RoutingData.IvrMenu m : ivrRows) {
            compileIvr(m);
        }

        // 2. refuse loops that would route a call forever without ringing anything (route/time condition chains)
        refuseLoops();

        // 3. refuse, until nothing changes, every entry whose destination is missing or refused
        refuseBroken();

        return new Tenant(
                name,
                extensions,
                routes.values(),
                conditions,
                groups,
                queues,
                outbound,
                blockedCallers(),
                ivrs,
                extensionClasses);
    }

    // ------------------------------------------------------------------------------------------------ entries

    private Map<String, RoutingData.Extension> validExtensions() {
        Map<String, RoutingData.Extension> valid = new LinkedHashMap<>();
        for (RoutingData.Extension e : extensionRows) {
            String what = "extension " + e.number();
            if (e.number() == null || !NUMBER.matcher(e.number()).matches()) {
                problem(what, "number must be 1-32 of 0-9 A-Z a-z * # + (refused)");
            } else if (e.endpoint() == null || !ENDPOINT.matcher(e.endpoint()).matches()) {
                problem(what, "endpoint '" + e.endpoint() + "' is not TECH/resource (refused)");
            } else if (e.ringTime() < 1 || e.callLimit() < 0) {
                problem(what, "ring time must be positive and call limit not negative (refused)");
            } else if (e.voicemailBox() != null
                    && !e.voicemailBox().isBlank()
                    && !MAILBOX.matcher(e.voicemailBox().trim()).matches()) {
                problem(what, "voicemail box '" + e.voicemailBox() + "' is not box[@context] (refused)");
            } else {
                valid.put(e.number(), e);
            }
        }
        return valid;
    }

    private Map<String, RoutingData.Trunk> validTrunks() {
        Map<String, RoutingData.Trunk> valid = new HashMap<>();
        for (RoutingData.Trunk k : trunkRows) {
            if (k.dialString() == null
                    || !k.dialString().contains("{number}")
                    || !ENDPOINT.matcher(k.dialString()).matches()) {
                problem(
                        "trunk " + k.name(),
                        "dial string '" + k.dialString() + "' must be TECH/... containing {number} (refused)");
            } else {
                valid.put(k.name(), k);
            }
        }
        return valid;
    }

    private void compileOutbound(RoutingData.OutboundRoute o, Map<String, RoutingData.Trunk> validTrunks) {
        String what = "outbound route " + o.name();
        if (o.name() == null || !NAME.matcher(o.name()).matches()) {
            problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
            return;
        }
        if (o.callerIdNumber() != null
                && !o.callerIdNumber().isBlank()
                && !NUMBER.matcher(o.callerIdNumber().trim()).matches()) {
            problem(what, "caller ID number '" + o.callerIdNumber() + "' is not a number (refused)");
            return;
        }
        if (o.callerIdName() != null && !CALLER_NAME.matcher(o.callerIdName()).matches()) {
            problem(what, "caller ID name has characters a caller ID cannot carry (refused)");
            return;
        }
        List<Tenant.DialPattern> patterns = new ArrayList<>();
        for (RoutingData.DialPattern p : o.patterns()) {
            try {
                String prepend = p.prepend() == null ? "" : p.prepend().trim();
                if (!prepend.isEmpty() && !NUMBER.matcher(prepend).matches()) {
                    throw new IllegalArgumentException("prepend '" + prepend + "' is not digits");
                }
                if (p.strip() < 0) {
                    throw new IllegalArgumentException("negative strip");
                }
                patterns.add(new Tenant.DialPattern(AsteriskPattern.compile(p.pattern()), p.strip(), prepend));
            } catch (IllegalArgumentException e) {
                problem(what, "pattern " + p.pattern() + ": " + e.getMessage() + " (pattern refused)");
            }
        }
        List<String> dial = new ArrayList<>();
        for (String k : o.trunks()) {
            RoutingData.Trunk t = validTrunks.get(k);
            if (t == null) {
                problem(what, "trunk " + k + " is refused (left out)");
            } else {
                dial.add(t.dialString());
            }
        }
        if (patterns.isEmpty() || dial.isEmpty()) {
            problem(what, "needs at least one valid pattern and one valid trunk (refused)");
            return;
        }
        outbound.add(new Outbound(
                o.name(),
                o.priority(),
                blankToNull(o.callerIdNumber()),
                blankToNull(o.callerIdName()),
                Math.max(1, o.ringTime()),
                patterns,
                dial));
    }

    private String forwardTarget(
            RoutingData.Extension e, String kind, String target, Map<String, RoutingData.Extension> validExtensions) {
        String t = blankToNull(target);
        if (t == null) {
            return null;
        }
        String what = "extension " + e.number();
        if (!NUMBER.matcher(t).matches()) {
            problem(what, kind + " to '" + t + "' is not a number (forward ignored)");
            return null;
        }
        if (t.equals(e.number())) {
            problem(what, kind + " to itself (forward ignored)");
            return null;
        }
        if (validExtensions.containsKey(t)) {
            return t;
        }
        for (Outbound o : outbound) {
            if (o.match(t) != null) {
                return t;
            }
        }
        problem(
                what,
                kind + " to " + t + ": neither an extension nor matched by an outbound route" + " (forward ignored)");
        return null;
    }

    /** An unconditional forward chain that comes back to itself would never ring: its forwards are dropped. */
    private void refuseForwardLoops() {
        Set<String> looping = new TreeSet<>();
        for (Extension e : extensions.values()) {
            Set<String> seen = new LinkedHashSet<>();
            Extension cur = e;
            while (cur != null && cur.forwardAlways != null) {
                if (!seen.add(cur.number)) {
                    looping.add(e.number);
                    break;
                }
                cur = extensions.get(cur.forwardAlways);
            }
        }
        for (String n : looping) {
            problem(
                    "extension " + n,
                    "unconditional forward loop through " + extensions.get(n).forwardAlways + " (forward ignored)");
        }
        for (String n : looping) {
            extensions.put(n, extensions.get(n).withoutForwardAlways());
        }
    }

    private TimeCondition compileCondition(RoutingData.TimeCondition c) {
        String what = "time condition " + c.name();
        Destination match = destination(what, "match destination", c.match());
        Destination otherwise = destination(what, "else destination", c.otherwise());
        if (c.name() == null || !NAME.matcher(c.name()).matches()) {
            problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
            return null;
        }
        ZoneId conditionZone = c.timeZone() == null || c.timeZone().isBlank() ? zone : zone(c.timeZone());
        if (conditionZone == null) {
            problem(what, "unknown time zone '" + (c.timeZone() == null ? "(tenant's)" : c.timeZone()) + "' (refused)");
            return null;
        }
        List<List<Integer>> byDay = new ArrayList<>();
        for (int d = 0; d <= 7; d++) {
            byDay.add(new ArrayList<>());
        }
        try {
            for (RoutingData.TimeRange r : c.ranges()) {
                if (r.dayOfWeek() < 1 || r.dayOfWeek() > 7) {
                    throw new IllegalArgumentException("day of week " + r.dayOfWeek() + " is not 1..7");
                }
                int start = LocalTime.parse(r.start()).toSecondOfDay();
                int end = endOfRange(r.end());
                if (end <= start) {
                    throw new IllegalArgumentException("range " + r.start() + "-" + r.end() + " ends before it starts");
                }
                byDay.get(r.dayOfWeek()).add(start);
                byDay.get(r.dayOfWeek()).add(end);
            }
            Map<LocalDate, List<Integer>> byDate = new HashMap<>();
            for (RoutingData.TimeException x : c.exceptions()) {
                List<Integer> l = byDate.computeIfAbsent(LocalDate.parse(x.date()), k -> new ArrayList<>());
                l.add(x.open() ? 1 : 0);
                if (x.start() == null && x.end() == null) {
                    l.add(-1);
                    l.add(86_400);
                } else {
                    int start = LocalTime.parse(x.start()).toSecondOfDay();
                    int end = endOfRange(x.end());
                    if (end <= start) {
                        throw new IllegalArgumentException(
                                "exception " + x.date() + " " + x.start() + "-" + x.end() + " ends before it starts");
                    }
                    l.add(start);
                    l.add(end);
                }
            }
            Map<LocalDate, int[]> exceptions = new HashMap<>();
            byDate.forEach((d, l) ->
                    exceptions.put(d, l.stream().mapToInt(Integer::intValue).toArray()));
            if (match == null || otherwise == null) {
                return null;
            }
            int[][] ranges = new int[8][];
            for (int d = 0; d <= 7; d++) {
                ranges[d] = byDay.get(d).stream().mapToInt(Integer::intValue).toArray();
            }
            return new TimeCondition(c.name(), conditionZone, match, otherwise, ranges, exceptions);
        } catch (RuntimeException e) {
            problem(what, "bad time range or date: " + e.getMessage() + " (refused)");
            return null;
        }
    }

    private static int endOfRange(String end) {
        return "24:00".equals(end) || "24:00:00".equals(end)
                ? 86_400
                : LocalTime.parse(end).toSecondOfDay();
    }

    private void compileRingGroup(RoutingData.RingGroup g) {
        String what = "ring group " + g.number();
        Destination na = destination(what, "no-answer destination", g.noAnswer());
        if (g.number() == null || !NUMBER.matcher(g.number()).matches()) {
            problem(what, "number must be 1-32 of 0-9 A-Z a-z * # + (refused)");
        } else if (!"RINGALL".equals(g.strategy()) && !"HUNT".equals(g.strategy())) {
            problem(what, "strategy '" + g.strategy() + "' is neither RINGALL nor HUNT (refused)");
        } else if (g.members().isEmpty()) {
            problem(what, "has no members (refused)");
        } else if (g.ringTime() < 1) {
            problem(what, "ring time must be positive (refused)");
        } else if (na != null) {
            List<String> members = new ArrayList<>();
            for (String m : g.members()) {
                if (extensions.containsKey(m)) {
                    members.add(m);
                } else {
                    problem(what, "member " + m + " is a refused extension (member left out)");
                }
            }
            if (members.isEmpty()) {
                problem(what, "no usable member (refused)");
            } else {
                groups.put(
                        g.number(), new RingGroup(g.number(), "HUNT".equals(g.strategy()), g.ringTime(), na, members));
            }
        }
    }

    private void compileQueue(RoutingData.CallQueue cq) {
        String what = "queue " + cq.name();
        Destination fail = destination(what, "failover destination", cq.failover());
        if (cq.name() == null
                || !NAME.matcher(cq.name()).matches()
                || cq.asteriskQueue() == null
                || !NAME.matcher(cq.asteriskQueue()).matches()) {
            problem(what, "name and Asterisk queue must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
        } else if (cq.maxWait() < 1) {
            problem(what, "max wait must be positive (refused)");
        } else if (fail != null) {
            queues.put(cq.name(), new Queue(cq.name(), cq.asteriskQueue(), cq.maxWait(), fail));
        }
    }

    private void compileInbound(RoutingData.InboundRoute r) {
        String what = "inbound route " + r.name();
        Destination d = destination(what, "destination", r.destination());
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
            return;
        }
        AsteriskPattern did;
        AsteriskPattern cid;
        try {
            did = r.didPattern() == null || r.didPattern().isBlank()
                    ? null
                    : AsteriskPattern.compile(r.didPattern().trim());
            cid = r.callerIdPattern() == null || r.callerIdPattern().isBlank()
                    ? null
                    : AsteriskPattern.compile(r.callerIdPattern().trim());
        } catch (IllegalArgumentException e) {
            problem(what, "bad pattern: " + e.getMessage() + " (refused)");
            return;
        }
        noteSeparators(what, "DID", did);
        noteSeparators(what, "caller ID", cid);
        if (d != null) {
            routes.put(r.name(), new Inbound(r.name(), did, cid, r.priority(), d));
        }
    }

    /** Keys a caller can press for a choice: '#' ends Read()'s input, so it cannot be part of one. */
    private static final Pattern IVR_DIGITS = Pattern.compile("[0-9*]{1,8}");

    private void compileIvr(RoutingData.IvrMenu m) {
        String what = "ivr menu " + m.name();
        Destination invalid = destination(what, "invalid destination", m.invalid());
        Destination timeout = destination(what, "timeout destination", m.timeout());
        Map<String, Destination> options = new TreeMap<>();
        boolean optionsOk = true;
        int maxDigits = 1;
        for (RoutingData.IvrOption o : m.options()) {
            String digits = o.digits() == null ? null : o.digits().trim();
            if (digits == null || !IVR_DIGITS.matcher(digits).matches()) {
                problem(what, "option '" + o.digits() + "' must be 1-8 of 0-9 * ('#' ends the input) (refused)");
                optionsOk = false;
                continue;
            }
            Destination d = destination(what, "option " + digits + " destination", o.destination());
            if (d == null) {
                optionsOk = false;
            } else if (options.put(digits, d) != null) {
                problem(what, "option " + digits + " appears more than once (refused)");
                optionsOk = false;
            }
            maxDigits = Math.max(maxDigits, digits.length());
        }
        if (m.name() == null || !NAME.matcher(m.name()).matches()) {
            problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
            return;
        }
        for (String[] sound : new String[][] {
            {"prompt", m.prompt()}, {"invalid prompt", m.invalidPrompt()}, {"timeout prompt", m.timeoutPrompt()}
        }) {
            String v = sound[1] == null ? null : sound[1].trim();
            boolean required = "prompt".equals(sound[0]);
            if ((v == null || v.isEmpty()) ? required : !SOUND.matcher(v).matches()) {
                problem(what, sound[0] + " '" + sound[1] + "' is not a plain sound name (refused)");
                return;
            }
        }
        if (m.digitTimeout() < 1 || m.digitTimeout() > 60) {
            problem(what, "digit timeout must be 1..60 seconds (refused)");
            return;
        }
        if (m.invalidRetries() < 0 || m.invalidRetries() > 10 || m.timeoutRetries() < 0 || m.timeoutRetries() > 10) {
            problem(what, "invalid and timeout retries must be 0..10 (refused)");
            return;
        }
        if (m.options().isEmpty() && !m.directDial()) {
            problem(what, "has no option and no direct dial: every choice would be invalid (refused)");
            return;
        }
        if (m.directDial()) {
            for (String number : extensions.keySet()) {
                maxDigits = Math.max(maxDigits, number.length());
            }
        }
        if (invalid != null && timeout != null && optionsOk) {
            ivrs.put(
                    m.name(),
                    new Tenant.Ivr(
                            m.name(),
                            m.prompt().trim(),
                            blankToNull(m.invalidPrompt()),
                            blankToNull(m.timeoutPrompt()),
                            m.digitTimeout(),
                            maxDigits,
                            m.invalidRetries(),
                            m.timeoutRetries(),
                            m.directDial(),
                            invalid,
                            timeout,
                            options));
        }
    }

    /** What a caller hears when a call class refuses the only routes a number matches. */
    static final String DEFAULT_REFUSAL_PROMPT = "cannot-complete-as-dialed";

    /**
     * Call classes, and the class of each extension. A route a class names that does not exist (or was refused) is
     * left out of it; an extension naming a class that does not exist (or was refused) keeps its calls but may use no
     * outbound route: call rights fail closed.
     */
    private void compileCallClasses(Map<String, RoutingData.Extension> validExtensions) {
        Set<String> routeNames = new HashSet<>();
        for (Outbound o : outbound) {
            routeNames.add(o.name);
        }
        Map<String, Tenant.CallClass> classes = new TreeMap<>();
        for (RoutingData.CallClass k : callClassRows) {
            String what = "call class " + k.name();
            if (k.name() == null || !NAME.matcher(k.name()).matches()) {
                problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                continue;
            }
            String prompt = blankToNull(k.refusalPrompt());
            if (prompt != null && !SOUND.matcher(prompt).matches()) {
                problem(what, "refusal prompt '" + prompt + "' is not a plain sound name (refused)");
                continue;
            }
            Set<String> allowed = new TreeSet<>();
            for (String r : k.routes()) {
                String route = blankToNull(r);
                if (route != null && routeNames.contains(route)) {
                    allowed.add(route);
                } else {
                    problem(what, "outbound route " + r + " does not exist or is refused (left out)");
                }
            }
            classes.put(
                    k.name(),
                    new Tenant.CallClass(k.name(), allowed, prompt == null ? DEFAULT_REFUSAL_PROMPT : prompt));
        }
        for (RoutingData.Extension e : validExtensions.values()) {
            String className = blankToNull(e.callClass());
            if (className == null) {
                continue;
            }
            Tenant.CallClass k = classes.get(className);
            if (k == null) {
                problem(
                        "extension " + e.number(),
                        "call class " + className + " does not exist or is refused (no outbound route allowed)");
                k = new Tenant.CallClass(className, Set.of(), DEFAULT_REFUSAL_PROMPT);
            }
            extensionClasses.put(e.number(), k);
        }
    }

    /** A plain number written with '-' matches without them, as in Asterisk's dialplan: said once per load. */
    private void noteSeparators(String what, String role, AsteriskPattern p) {
        if (p != null && p.normalisedExact() != null) {
            problem(
                    what,
                    role + " '" + p.source() + "' matches as " + p.normalisedExact()
                            + " ('-' is a separator, as in Asterisk; kept)");
        }
    }

    private List<AsteriskPattern> blockedCallers() {
        List<AsteriskPattern> blocked = new ArrayList<>();
        for (RoutingData.BlockedCaller x : blockedRows) {
            try {
                AsteriskPattern p = AsteriskPattern.compile(
                        x.pattern() == null ? null : x.pattern().trim());
                noteSeparators("blocked caller " + x.pattern(), "number", p);
                blocked.add(p);
            } catch (IllegalArgumentException e) {
                problem("blocked caller " + x.pattern(), "bad pattern: " + e.getMessage() + " (refused)");
            }
        }
        return blocked;
    }

    // ------------------------------------------------------------------------------------------------ destinations

    /** Checks the reference's form and, for leaf types, that it exists; returns null (with a problem) if not. */
    private Destination destination(String what, String role, RoutingData.Destination d) {
        DestinationType type = d == null ? null : DestinationType.parse(d.type());
        String ref = d == null || d.ref() == null ? null : d.ref().trim();
        if (type == null) {
            problem(what, role + " has unknown type '" + (d == null ? null : d.type()) + "' (refused)");
            return null;
        }
        if (ref == null || ref.isEmpty()) {
            problem(what, role + " " + type + " has no reference (refused)");
            return null;
        }
        switch (type) {
            case EXTENSION -> {
                if (!extensions.containsKey(ref)) {
                    problem(what, role + " points at extension " + ref + " which does not exist (refused)");
                    return null;
                }
            }
            case VOICEMAIL -> {
                Extension e = extensions.get(ref);
                if (e == null || e.mailbox == null) {
                    problem(
                            what,
                            role + " points at voicemail of " + ref
                                    + (e == null ? " which does not exist" : " which has no voicemail box")
                                    + " (refused)");
                    return null;
                }
            }
            case PLAYBACK -> {
                if (!SOUND.matcher(ref).matches()) {
                    problem(what, role + " sound '" + ref + "' is not a plain sound name (refused)");
                    return null;
                }
            }
            case HANGUP -> {
                int cause;
                try {
                    cause = Integer.parseInt(ref);
                } catch (NumberFormatException e) {
                    cause = -1;
                }
                if (cause < 1 || cause > 127) {
                    problem(what, role + " hangup cause '" + ref + "' is not 1..127 (refused)");
                    return null;
                }
            }
            default -> {
                /* RING_GROUP, QUEUE, ROUTE, TIME_CONDITION, IVR: checked once all are compiled */
            }
        }
        return new Destination(type, ref);
    }

    /**
     * An entry a call can pass through without ringing anything: only these can form a loop. An IVR menu waits for
     * the caller, but its invalid and timeout destinations are taken without a choice: a cycle through them would
     * replay menus to a silent caller forever. Its options are the caller's choice (back to the main menu) and no hop.
     */
    private enum Kind {
        ROUTE("route "),
        CONDITION("time condition "),
        IVR("ivr menu ");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private record Node(Kind kind, String name) {
        @Override
        public String toString() {
            return kind.label + name;
        }
    }

    /** Refuses every inbound route and time condition on a cycle of immediate hops, with one problem per cycle. */
    private void refuseLoops() {
        // Depth-first over the graph of immediate hops: route -> route/time condition, condition -> both branches.
        Map<Node, Boolean> done = new HashMap<>(); // false while on the stack, true once every hop was followed
        Set<Node> inLoop = new LinkedHashSet<>();
        List<Node> order = new ArrayList<>();
        for (String r : routes.keySet()) {
            order.add(new Node(Kind.ROUTE, r));
        }
        for (String c : conditions.keySet()) {
            order.add(new Node(Kind.CONDITION, c));
        }
        for (String m : ivrs.keySet()) {
            order.add(new Node(Kind.IVR, m));
        }
        for (Node start : order) {
            visit(start, new ArrayList<>(), done, inLoop);
        }
        for (Node node : inLoop) {
            switch (node.kind()) {
                case ROUTE -> routes.remove(node.name());
                case CONDITION -> conditions.remove(node.name());
                case IVR -> ivrs.remove(node.name());
            }
        }
    }

    private void visit(Node node, List<Node> path, Map<Node, Boolean> done, Set<Node> inLoop) {
        Boolean finished = done.get(node);
        if (Boolean.TRUE.equals(finished)) {
            return;
        }
        if (finished != null) {
            List<Node> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            cycle.add(node);
            problem("loop", joinArrows(cycle) + " (every entry on it refused)");
            inLoop.addAll(cycle);
            return;
        }
        done.put(node, false);
        path.add(node);
        for (Destination d : hops(node)) {
            if (d.type() == DestinationType.ROUTE && routes.containsKey(d.ref())) {
                visit(new Node(Kind.ROUTE, d.ref()), path, done, inLoop);
            } else if (d.type() == DestinationType.TIME_CONDITION && conditions.containsKey(d.ref())) {
                visit(new Node(Kind.CONDITION, d.ref()), path, done, inLoop);
            } else if (d.type() == DestinationType.IVR && ivrs.containsKey(d.ref())) {
                visit(new Node(Kind.IVR, d.ref()), path, done, inLoop);
            }
        }
        path.remove(path.size() - 1);
        done.put(node, true);
    }

    private static String joinArrows(List<Node> cycle) {
        StringBuilder sb = new StringBuilder();
        for (Node n : cycle) {
            if (sb.length() > 0) {
                sb.append(" -> ");
            }
            sb.append(n);
        }
        return sb.toString();
    }

    private List<Destination> hops(Node node) {
        switch (node.kind()) {
            case ROUTE -> {
                Inbound r = routes.get(node.name());
                return r == null ? List.of() : List.of(r.destination);
            }
            case CONDITION -> {
                TimeCondition c = conditions.get(node.name());
                return c == null ? List.of() : List.of(c.match, c.otherwise);
            }
            default -> {
                Tenant.Ivr m = ivrs.get(node.name());
                return m == null ? List.of() : List.of(m.invalid, m.timeout);
            }
        }
    }

    /** Until nothing changes: an entry pointing at one refused is refused too, so every kept pointer resolves. */
    private void refuseBroken() {
        boolean changed = true;
        while (changed) {
            changed = false;
            changed |= dropBroken(conditions, "time condition", c -> firstBroken(c.match, c.otherwise));
            changed |= dropBroken(groups, "ring group", g -> firstBroken(g.noAnswer));
            changed |= dropBroken(queues, "queue", q -> firstBroken(q.failover));
            changed |= dropBroken(routes, "inbound route", r -> firstBroken(r.destination));
            changed |= dropBroken(ivrs, "ivr menu", m -> {
                String why = firstBroken(m.invalid, m.timeout);
                for (var o : m.options().entrySet()) {
                    if (why == null && firstBroken(o.getValue()) != null) {
                        why = "option " + o.getKey() + " " + firstBroken(o.getValue());
                    }
                }
                return why;
            });
        }
    }

    /** @param broken a description of the entry's first broken destination, or null */
    private <T> boolean dropBroken(Map<String, T> entries, String kind, Function<T, String> broken) {
        boolean changed = false;
        for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            String why = broken.apply(e.getValue());
            if (why != null) {
                problem(kind + " " + e.getKey(), why + " (refused)");
                it.remove();
                changed = true;
            }
        }
        return changed;
    }

    private String firstBroken(Destination... ds) {
        for (Destination d : ds) {
            Map<String, ?> target = switch (d.type()) {
                case TIME_CONDITION -> conditions;
                case RING_GROUP -> groups;
                case QUEUE -> queues;
                case ROUTE -> routes;
                case IVR -> ivrs;
                default -> null;
            };
            if (target != null && !target.containsKey(d.ref())) {
                return "points at " + d + " which does not exist or is refused";
            }
        }
        return null;
    }
}
