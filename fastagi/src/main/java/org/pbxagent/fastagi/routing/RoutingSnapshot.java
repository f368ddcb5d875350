package org.pbxagent.fastagi.routing;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.pbxagent.fastagi.data.RoutingData;

/**
 * Immutable, compiled routing data: patterns precompiled, destinations resolved to entries that exist, loops between
 * routes refused. Built off the call path from {@link RoutingData} (read from the DB or from the disk snapshot); the
 * call path only reads it.
 *
 * <p>Validation policy: an entry with a problem (unknown destination, bad pattern, unknown time zone, part of a
 * route loop ...) is refused and every entry that leads to it is refused as well, each with a problem line; the rest
 * of the tenant keeps working. The whole snapshot is refused ({@link #build} throws) only when no tenant is usable,
 * so an emptied or broken DB never replaces a working snapshot.
 */
public final class RoutingSnapshot {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    static final Pattern NUMBER = Pattern.compile("[0-9A-Za-z*#+]{1,32}");
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9_]+/[A-Za-z0-9_.@:/+*#{}-]+");
    private static final Pattern SOUND = Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*");
    private static final Pattern MAILBOX = Pattern.compile("[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?");
    private static final Pattern CALLER_NAME = Pattern.compile("[\\p{L}\\p{N} ._'-]{0,64}");

    private final RoutingData data;
    private final Map<String, Tenant> tenants;
    private final List<String> problems;

    private RoutingSnapshot(RoutingData data, Map<String, Tenant> tenants, List<String> problems) {
        this.data = data;
        this.tenants = tenants;
        this.problems = List.copyOf(problems);
    }

    public long version() { return data.version(); }

    public Instant readAt() { return Instant.ofEpochMilli(data.readAtMillis()); }

    /** The rows this snapshot was compiled from, as written to the disk snapshot. */
    public RoutingData data() { return data; }

    /** Problems found at load, one line each, naming the tenant, the entry and what is wrong. */
    public List<String> problems() { return problems; }

    /** @return the tenant's compiled routes, or null */
    public Tenant tenant(String name) { return name == null ? null : tenants.get(name); }

    public Set<String> tenantNames() { return tenants.keySet(); }

    // ------------------------------------------------------------------------------------------------ entries

    public static final class Extension {
        final String number;
        final String endpoint;
        final String displayName;
        final String mailbox;
        final boolean dnd;
        final String forwardAlways;
        final String forwardBusy;
        final String forwardNoAnswer;
        final int ringTime;
        final int callLimit;
        final String outboundCallerId;

        Extension(RoutingData.Extension e, String fwdAlways, String fwdBusy, String fwdNoAnswer) {
            this.number = e.number();
            this.endpoint = e.endpoint();
            this.displayName = e.displayName();
            this.mailbox = blankToNull(e.voicemailBox());
            this.dnd = e.dnd();
            this.forwardAlways = fwdAlways;
            this.forwardBusy = fwdBusy;
            this.forwardNoAnswer = fwdNoAnswer;
            this.ringTime = e.ringTime();
            this.callLimit = e.callLimit();
            this.outboundCallerId = blankToNull(e.outboundCallerId());
        }
    }

    static final class Inbound {
        final String name;
        final AsteriskPattern did;
        final AsteriskPattern callerId;
        final int priority;
        final Destination destination;

        Inbound(String name, AsteriskPattern did, AsteriskPattern callerId, int priority, Destination destination) {
            this.name = name;
            this.did = did;
            this.callerId = callerId;
            this.priority = priority;
            this.destination = destination;
        }
    }

    /** Explicit priority first; then a caller-ID-specific route, an exact DID, the more literal pattern, the name. */
    static final Comparator<Inbound> INBOUND_ORDER = Comparator.<Inbound>comparingInt(r -> r.priority)
            .thenComparing(r -> r.callerId == null)
            .thenComparing(r -> !r.did.isExact())
            .thenComparing(r -> -r.did.literalCount())
            .thenComparing(r -> r.name);

    static final class TimeCondition {
        final String name;
        final ZoneId zone;
        final Destination match;
        final Destination otherwise;
        final int[][] rangesByDay;          // [1..7] -> start,end,start,end ... seconds of day
        /** date -> open,start,end triples (seconds of day; whole day = 0..86400 with start -1) */
        final Map<LocalDate, int[]> exceptions;

        TimeCondition(String name, ZoneId zone, Destination match, Destination otherwise, int[][] rangesByDay,
                      Map<LocalDate, int[]> exceptions) {
            this.name = name;
            this.zone = zone;
            this.match = match;
            this.otherwise = otherwise;
            this.rangesByDay = rangesByDay;
            this.exceptions = exceptions;
        }

        /**
         * A whole-day exception decides the day; inside a timed exception, that exception decides; a date with
         * special opening hours is closed outside them; otherwise the weekly ranges apply.
         */
        boolean matches(Instant now) {
            ZonedDateTime t = now.atZone(zone);
            int second = t.toLocalTime().toSecondOfDay();
            int[] x = exceptions.get(t.toLocalDate());
            if (x != null) {
                boolean specialHours = false;
                for (int i = 0; i < x.length; i += 3) {
                    if (x[i + 1] < 0) {
                        return x[i] == 1;
                    }
                }
                for (int i = 0; i < x.length; i += 3) {
                    if (second >= x[i + 1] && second < x[i + 2]) {
                        return x[i] == 1;
                    }
                    specialHours |= x[i] == 1;
                }
                if (specialHours) {
                    return false;
                }
            }
            int[] ranges = rangesByDay[t.getDayOfWeek().getValue()];
            for (int i = 0; i < ranges.length; i += 2) {
                if (second >= ranges[i] && second < ranges[i + 1]) {
                    return true;
                }
            }
            return false;
        }
    }

    static final class RingGroup {
        final String number;
        final boolean hunt;
        final int ringTime;
        final Destination noAnswer;
        final List<String> members;

        RingGroup(String number, boolean hunt, int ringTime, Destination noAnswer, List<String> members) {
            this.number = number;
            this.hunt = hunt;
            this.ringTime = ringTime;
            this.noAnswer = noAnswer;
            this.members = members;
        }
    }

    static final class Queue {
        final String name;
        final String asteriskQueue;
        final int maxWait;
        final Destination failover;

        Queue(String name, String asteriskQueue, int maxWait, Destination failover) {
            this.name = name;
            this.asteriskQueue = asteriskQueue;
            this.maxWait = maxWait;
            this.failover = failover;
        }
    }

    static final class DialPattern {
        final AsteriskPattern pattern;
        final int strip;
        final String prepend;

        DialPattern(AsteriskPattern pattern, int strip, String prepend) {
            this.pattern = pattern;
            this.strip = strip;
            this.prepend = prepend;
        }
    }

    static final class Outbound {
        final String name;
        final int priority;
        final String callerIdNumber;
        final String callerIdName;
        final int ringTime;
        final List<DialPattern> patterns;
        final List<String> trunkDialStrings;

        Outbound(String name, int priority, String callerIdNumber, String callerIdName, int ringTime,
                 List<DialPattern> patterns, List<String> trunkDialStrings) {
            this.name = name;
            this.priority = priority;
            this.callerIdNumber = callerIdNumber;
            this.callerIdName = callerIdName;
            this.ringTime = ringTime;
            this.patterns = patterns;
            this.trunkDialStrings = trunkDialStrings;
        }

        /** @return the first pattern this number matches, or null */
        DialPattern match(String number) {
            for (int i = 0; i < patterns.size(); i++) {
                DialPattern p = patterns.get(i);
                if (p.pattern.matches(number) && number.length() > p.strip) {
                    return p;
                }
            }
            return null;
        }
    }

    /** One tenant's compiled routing. */
    public static final class Tenant {
        final String name;
        final ZoneId zone;
        final Map<String, Extension> extensions = new HashMap<>();
        final Map<String, List<Inbound>> exactDids = new HashMap<>();
        final List<Inbound> patternDids = new ArrayList<>();
        final Map<String, Inbound> routesByName = new HashMap<>();
        final Map<String, TimeCondition> conditions = new HashMap<>();
        final Map<String, RingGroup> groups = new HashMap<>();
        final Map<String, Queue> queues = new HashMap<>();
        final List<Outbound> outbound = new ArrayList<>();
        final Map<String, Outbound> outboundByName = new HashMap<>();
        final Set<String> blockedExact = new HashSet<>();
        final List<AsteriskPattern> blockedPatterns = new ArrayList<>();

        Tenant(String name, ZoneId zone) {
            this.name = name;
            this.zone = zone;
        }

        public String name() { return name; }

        Extension extension(String number) { return extensions.get(number); }

        boolean blocked(String callerId) {
            if (callerId == null) {
                return false;
            }
            if (blockedExact.contains(callerId)) {
                return true;
            }
            for (int i = 0; i < blockedPatterns.size(); i++) {
                if (blockedPatterns.get(i).matches(callerId)) {
                    return true;
                }
            }
            return false;
        }

        /** The best inbound route for this DID and caller, or null. */
        Inbound inbound(String did, String callerId) {
            Inbound best = null;
            List<Inbound> exact = exactDids.get(did);
            if (exact != null) {
                best = first(exact, did, callerId);
            }
            Inbound pattern = first(patternDids, did, callerId);
            if (pattern != null && (best == null || INBOUND_ORDER.compare(pattern, best) < 0)) {
                best = pattern;
            }
            return best;
        }

        private static Inbound first(List<Inbound> sorted, String did, String callerId) {
            for (int i = 0; i < sorted.size(); i++) {
                Inbound r = sorted.get(i);
                if (r.did.matches(did) && (r.callerId == null || r.callerId.matches(callerId))) {
                    return r;
                }
            }
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------ build

    /**
     * Compiles and validates. Problems are in {@link #problems()}.
     *
     * @throws RoutingSnapshotException when no tenant is usable (the snapshot must not replace a working one)
     */
    public static RoutingSnapshot build(RoutingData data) {
        if (data == null) {
            throw new RoutingSnapshotException("no routing data");
        }
        List<String> problems = new ArrayList<>();
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        for (RoutingData.Tenant t : data.tenants()) {
            if (t.name() == null || !NAME.matcher(t.name()).matches()) {
                problems.add("tenant '" + t.name() + "': name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                continue;
            }
            ZoneId zone = zone(t.timeZone());
            if (zone == null) {
                problems.add("tenant " + t.name() + ": unknown time zone '" + t.timeZone()
                        + "' (time conditions without their own zone are refused)");
            }
            tenants.put(t.name(), new TenantBuilder(t.name(), zone, problems).tenant);
        }
        if (tenants.isEmpty()) {
            throw new RoutingSnapshotException("routing data has no usable tenant" + (problems.isEmpty() ? ""
                    : ": " + String.join("; ", problems)));
        }
        Map<String, TenantBuilder> builders = new LinkedHashMap<>();
        for (Tenant t : tenants.values()) {
            builders.put(t.name, new TenantBuilder(t, problems));
        }
        for (RoutingData.Extension e : data.extensions()) { b(builders, e.tenant()).ext.add(e); }
        for (RoutingData.TimeCondition c : data.timeConditions()) { b(builders, c.tenant()).tc.add(c); }
        for (RoutingData.RingGroup g : data.ringGroups()) { b(builders, g.tenant()).rg.add(g); }
        for (RoutingData.CallQueue q : data.queues()) { b(builders, q.tenant()).q.add(q); }
        for (RoutingData.InboundRoute r : data.inboundRoutes()) { b(builders, r.tenant()).in.add(r); }
        for (RoutingData.Trunk k : data.trunks()) { b(builders, k.tenant()).trunks.add(k); }
        for (RoutingData.OutboundRoute o : data.outboundRoutes()) { b(builders, o.tenant()).out.add(o); }
        for (RoutingData.BlockedCaller x : data.blockedCallers()) { b(builders, x.tenant()).blocked.add(x); }
        for (TenantBuilder tb : builders.values()) {
            if (tb != NOWHERE) {
                tb.compile();
            }
        }
        return new RoutingSnapshot(data, Collections.unmodifiableMap(tenants), problems);
    }

    private static final TenantBuilder NOWHERE = new TenantBuilder("", null, new ArrayList<>());

    private static TenantBuilder b(Map<String, TenantBuilder> builders, String tenant) {
        TenantBuilder tb = builders.get(tenant);
        return tb == null ? NOWHERE : tb;   // rows of a refused tenant are dropped with it
    }

    static ZoneId zone(String id) {
        if (id == null || id.isBlank()) {
            return null;
        }
        try {
            return ZoneId.of(id.trim());
        } catch (DateTimeException e) {
            return null;
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Collects one tenant's rows, then compiles and validates them into its {@link Tenant}. */
    private static final class TenantBuilder {
        final Tenant tenant;
        final List<String> problems;
        final List<RoutingData.Extension> ext = new ArrayList<>();
        final List<RoutingData.TimeCondition> tc = new ArrayList<>();
        final List<RoutingData.RingGroup> rg = new ArrayList<>();
        final List<RoutingData.CallQueue> q = new ArrayList<>();
        final List<RoutingData.InboundRoute> in = new ArrayList<>();
        final List<RoutingData.Trunk> trunks = new ArrayList<>();
        final List<RoutingData.OutboundRoute> out = new ArrayList<>();
        final List<RoutingData.BlockedCaller> blocked = new ArrayList<>();

        TenantBuilder(String name, ZoneId zone, List<String> problems) {
            this.tenant = new Tenant(name, zone);
            this.problems = problems;
        }

        TenantBuilder(Tenant tenant, List<String> problems) {
            this.tenant = tenant;
            this.problems = problems;
        }

        private void problem(String what, String text) {
            problems.add("tenant " + tenant.name + ": " + what + ": " + text);
        }

        void compile() {
            // 1. entries whose own fields are valid, before looking at what they point to
            Map<String, RoutingData.Extension> extRows = new LinkedHashMap<>();
            for (RoutingData.Extension e : ext) {
                String what = "extension " + e.number();
                if (e.number() == null || !NUMBER.matcher(e.number()).matches()) {
                    problem(what, "number must be 1-32 of 0-9 A-Z a-z * # + (refused)");
                } else if (e.endpoint() == null || !ENDPOINT.matcher(e.endpoint()).matches()) {
                    problem(what, "endpoint '" + e.endpoint() + "' is not TECH/resource (refused)");
                } else if (e.ringTime() < 1 || e.callLimit() < 0) {
                    problem(what, "ring time must be positive and call limit not negative (refused)");
                } else if (e.voicemailBox() != null && !e.voicemailBox().isBlank()
                        && !MAILBOX.matcher(e.voicemailBox().trim()).matches()) {
                    problem(what, "voicemail box '" + e.voicemailBox() + "' is not box[@context] (refused)");
                } else {
                    extRows.put(e.number(), e);
                }
            }
            Map<String, RoutingData.Trunk> trunkRows = new HashMap<>();
            for (RoutingData.Trunk k : trunks) {
                if (k.dialString() == null || !k.dialString().contains("{number}")
                        || !ENDPOINT.matcher(k.dialString()).matches()) {
                    problem("trunk " + k.name(), "dial string '" + k.dialString()
                            + "' must be TECH/... containing {number} (refused)");
                } else {
                    trunkRows.put(k.name(), k);
                }
            }
            for (RoutingData.OutboundRoute o : out) {
                compileOutbound(o, trunkRows);
            }
            tenant.outbound.sort(Comparator.<Outbound>comparingInt(o -> o.priority).thenComparing(o -> o.name));

            // forwarding: the target must be an extension or reachable outbound; unconditional chains must not loop
            for (RoutingData.Extension e : extRows.values()) {
                String fa = forwardTarget(e, "unconditional forward", e.forwardAlways(), extRows);
                String fb = forwardTarget(e, "forward on busy", e.forwardBusy(), extRows);
                String fn = forwardTarget(e, "forward on no answer", e.forwardNoAnswer(), extRows);
                tenant.extensions.put(e.number(), new Extension(e, fa, fb, fn));
            }
            refuseForwardLoops();

            Map<String, Object> conditions = new TreeMap<>();
            Map<String, Object> groups = new TreeMap<>();
            Map<String, Object> queues = new TreeMap<>();
            Map<String, Object> routes = new TreeMap<>();
            for (RoutingData.TimeCondition c : tc) {
                TimeCondition compiled = compileCondition(c);
                if (compiled != null) {
                    conditions.put(c.name(), compiled);
                }
            }
            for (RoutingData.RingGroup g : rg) {
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
                        if (tenant.extensions.containsKey(m)) {
                            members.add(m);
                        } else {
                            problem(what, "member " + m + " is a refused extension (member left out)");
                        }
                    }
                    if (members.isEmpty()) {
                        problem(what, "no usable member (refused)");
                    } else {
                        groups.put(g.number(), new RingGroup(g.number(), "HUNT".equals(g.strategy()), g.ringTime(),
                                na, List.copyOf(members)));
                    }
                }
            }
            for (RoutingData.CallQueue cq : q) {
                String what = "queue " + cq.name();
                Destination fail = destination(what, "failover destination", cq.failover());
                if (cq.name() == null || !NAME.matcher(cq.name()).matches()
                        || cq.asteriskQueue() == null || !NAME.matcher(cq.asteriskQueue()).matches()) {
                    problem(what, "name and Asterisk queue must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                } else if (cq.maxWait() < 1) {
                    problem(what, "max wait must be positive (refused)");
                } else if (fail != null) {
                    queues.put(cq.name(), new Queue(cq.name(), cq.asteriskQueue(), cq.maxWait(), fail));
                }
            }
            for (RoutingData.InboundRoute r : in) {
                String what = "inbound route " + r.name();
                Destination d = destination(what, "destination", r.destination());
                if (r.name() == null || !NAME.matcher(r.name()).matches()) {
                    problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                    continue;
                }
                AsteriskPattern did = null;
                AsteriskPattern cid = null;
                try {
                    did = r.didPattern() == null || r.didPattern().isBlank() ? null
                            : AsteriskPattern.compile(r.didPattern().trim());
                    cid = r.callerIdPattern() == null || r.callerIdPattern().isBlank() ? null
                            : AsteriskPattern.compile(r.callerIdPattern().trim());
                } catch (IllegalArgumentException e) {
                    problem(what, "bad pattern: " + e.getMessage() + " (refused)");
                    continue;
                }
                if (d != null) {
                    routes.put(r.name(), new Inbound(r.name(), did, cid, r.priority(), d));
                }
            }

            // 2. refuse loops that would route a call forever without ringing anything (route/time condition chains)
            refuseLoops(routes, conditions);

            // 3. refuse, until nothing changes, every entry whose destination is missing or refused
            boolean changed = true;
            while (changed) {
                changed = false;
                changed |= dropBroken(conditions, "time condition", (o) -> {
                    TimeCondition c = (TimeCondition) o;
                    return firstBroken(new Destination[] {c.match, c.otherwise}, conditions, groups, queues, routes);
                });
                changed |= dropBroken(groups, "ring group", (o) -> firstBroken(
                        new Destination[] {((RingGroup) o).noAnswer}, conditions, groups, queues, routes));
                changed |= dropBroken(queues, "queue", (o) -> firstBroken(
                        new Destination[] {((Queue) o).failover}, conditions, groups, queues, routes));
                changed |= dropBroken(routes, "inbound route", (o) -> firstBroken(
                        new Destination[] {((Inbound) o).destination}, conditions, groups, queues, routes));
            }
            conditions.forEach((k, v) -> tenant.conditions.put(k, (TimeCondition) v));
            groups.forEach((k, v) -> tenant.groups.put(k, (RingGroup) v));
            queues.forEach((k, v) -> tenant.queues.put(k, (Queue) v));
            for (Object o : routes.values()) {
                Inbound r = (Inbound) o;
                tenant.routesByName.put(r.name, r);
                if (r.did == null) {
                    continue;
                }
                if (r.did.isExact()) {
                    tenant.exactDids.computeIfAbsent(r.did.source(), k -> new ArrayList<>()).add(r);
                } else {
                    tenant.patternDids.add(r);
                }
            }
            tenant.exactDids.values().forEach(l -> l.sort(INBOUND_ORDER));
            tenant.patternDids.sort(INBOUND_ORDER);

            for (RoutingData.BlockedCaller x : blocked) {
                try {
                    AsteriskPattern p = AsteriskPattern.compile(x.pattern() == null ? null : x.pattern().trim());
                    if (p.isExact()) {
                        tenant.blockedExact.add(p.source());
                    } else {
                        tenant.blockedPatterns.add(p);
                    }
                } catch (IllegalArgumentException e) {
                    problem("blocked caller " + x.pattern(), "bad pattern: " + e.getMessage() + " (refused)");
                }
            }
        }

        private void compileOutbound(RoutingData.OutboundRoute o, Map<String, RoutingData.Trunk> trunkRows) {
            String what = "outbound route " + o.name();
            if (o.name() == null || !NAME.matcher(o.name()).matches()) {
                problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                return;
            }
            if (o.callerIdNumber() != null && !o.callerIdNumber().isBlank()
                    && !NUMBER.matcher(o.callerIdNumber().trim()).matches()) {
                problem(what, "caller ID number '" + o.callerIdNumber() + "' is not a number (refused)");
                return;
            }
            if (o.callerIdName() != null && !CALLER_NAME.matcher(o.callerIdName()).matches()) {
                problem(what, "caller ID name has characters a caller ID cannot carry (refused)");
                return;
            }
            List<DialPattern> patterns = new ArrayList<>();
            for (RoutingData.DialPattern p : o.patterns()) {
                try {
                    String prepend = p.prepend() == null ? "" : p.prepend().trim();
                    if (!prepend.isEmpty() && !NUMBER.matcher(prepend).matches()) {
                        throw new IllegalArgumentException("prepend '" + prepend + "' is not digits");
                    }
                    if (p.strip() < 0) {
                        throw new IllegalArgumentException("negative strip");
                    }
                    patterns.add(new DialPattern(AsteriskPattern.compile(p.pattern()), p.strip(), prepend));
                } catch (IllegalArgumentException e) {
                    problem(what, "pattern " + p.pattern() + ": " + e.getMessage() + " (pattern refused)");
                }
            }
            List<String> dial = new ArrayList<>();
            for (String k : o.trunks()) {
                RoutingData.Trunk t = trunkRows.get(k);
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
            Outbound compiled = new Outbound(o.name(), o.priority(), blankToNull(o.callerIdNumber()),
                    blankToNull(o.callerIdName()), Math.max(1, o.ringTime()), List.copyOf(patterns), List.copyOf(dial));
            tenant.outbound.add(compiled);
            tenant.outboundByName.put(o.name(), compiled);
        }

        private String forwardTarget(RoutingData.Extension e, String kind, String target,
                                     Map<String, RoutingData.Extension> extRows) {
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
            if (extRows.containsKey(t)) {
                return t;
            }
            for (Outbound o : tenant.outbound) {
                if (o.match(t) != null) {
                    return t;
                }
            }
            problem(what, kind + " to " + t + ": neither an extension nor matched by an outbound route"
                    + " (forward ignored)");
            return null;
        }

        private void refuseForwardLoops() {
            Set<String> looping = new TreeSet<>();
            for (Extension e : tenant.extensions.values()) {
                Set<String> seen = new LinkedHashSet<>();
                Extension cur = e;
                while (cur != null && cur.forwardAlways != null) {
                    if (!seen.add(cur.number)) {
                        looping.add(e.number);
                        break;
                    }
                    cur = tenant.extensions.get(cur.forwardAlways);
                }
            }
            for (String n : looping) {
                Extension e = tenant.extensions.get(n);
                problem("extension " + n, "unconditional forward loop through " + e.forwardAlways
                        + " (forward ignored)");
            }
            for (String n : looping) {
                Extension e = tenant.extensions.get(n);
                tenant.extensions.put(n, new Extension(toRow(e), null, e.forwardBusy, e.forwardNoAnswer));
            }
        }

        private RoutingData.Extension toRow(Extension e) {
            return new RoutingData.Extension(tenant.name, e.number, e.endpoint, e.displayName, e.mailbox, e.dnd,
                    null, e.forwardBusy, e.forwardNoAnswer, e.ringTime, e.callLimit, e.outboundCallerId);
        }

        private TimeCondition compileCondition(RoutingData.TimeCondition c) {
            String what = "time condition " + c.name();
            Destination match = destination(what, "match destination", c.match());
            Destination otherwise = destination(what, "else destination", c.otherwise());
            if (c.name() == null || !NAME.matcher(c.name()).matches()) {
                problem(what, "name must be 1-64 of A-Z a-z 0-9 _ . - (refused)");
                return null;
            }
            ZoneId zone = c.timeZone() == null || c.timeZone().isBlank() ? tenant.zone : zone(c.timeZone());
            if (zone == null) {
                problem(what, "unknown time zone '" + (c.timeZone() == null ? "(tenant's)" : c.timeZone())
                        + "' (refused)");
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
                            throw new IllegalArgumentException("exception " + x.date() + " " + x.start() + "-"
                                    + x.end() + " ends before it starts");
                        }
                        l.add(start);
                        l.add(end);
                    }
                }
                Map<LocalDate, int[]> exceptions = new HashMap<>();
                byDate.forEach((d, l) -> exceptions.put(d, l.stream().mapToInt(Integer::intValue).toArray()));
                if (match == null || otherwise == null) {
                    return null;
                }
                int[][] ranges = new int[8][];
                for (int d = 0; d <= 7; d++) {
                    ranges[d] = byDay.get(d).stream().mapToInt(Integer::intValue).toArray();
                }
                return new TimeCondition(c.name(), zone, match, otherwise, ranges, Map.copyOf(exceptions));
            } catch (RuntimeException e) {
                problem(what, "bad time range or date: " + e.getMessage() + " (refused)");
                return null;
            }
        }

        private static int endOfRange(String end) {
            return "24:00".equals(end) || "24:00:00".equals(end) ? 86_400 : LocalTime.parse(end).toSecondOfDay();
        }

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
                    if (!tenant.extensions.containsKey(ref)) {
                        problem(what, role + " points at extension " + ref + " which does not exist (refused)");
                        return null;
                    }
                }
                case VOICEMAIL -> {
                    Extension e = tenant.extensions.get(ref);
                    if (e == null || e.mailbox == null) {
                        problem(what, role + " points at voicemail of " + ref
                                + (e == null ? " which does not exist" : " which has no voicemail box") + " (refused)");
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
                default -> { /* RING_GROUP, QUEUE, ROUTE, TIME_CONDITION: checked once all are compiled */ }
            }
            return new Destination(type, ref);
        }

        private void refuseLoops(Map<String, Object> routes, Map<String, Object> conditions) {
            // Depth-first over the graph of immediate hops: route -> route/time condition, condition -> both branches.
            Map<String, Integer> state = new HashMap<>(); // 1 on stack, 2 done
            Set<String> inLoop = new LinkedHashSet<>();
            List<String> order = new ArrayList<>();
            for (String r : routes.keySet()) {
                order.add("route " + r);
            }
            for (String c : conditions.keySet()) {
                order.add("time condition " + c);
            }
            for (String start : order) {
                visit(start, new ArrayList<>(), state, inLoop, routes, conditions);
            }
            for (String node : inLoop) {
                if (node.startsWith("route ")) {
                    routes.remove(node.substring(6));
                } else {
                    conditions.remove(node.substring(15));
                }
            }
        }

        private void visit(String node, List<String> path, Map<String, Integer> state, Set<String> inLoop,
                           Map<String, Object> routes, Map<String, Object> conditions) {
            Integer s = state.get(node);
            if (s != null && s == 2) {
                return;
            }
            if (s != null && s == 1) {
                List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
                cycle.add(node);
                problem("loop", String.join(" -> ", cycle) + " (every entry on it refused)");
                inLoop.addAll(cycle);
                return;
            }
            state.put(node, 1);
            path.add(node);
            for (Destination d : hops(node, routes, conditions)) {
                if (d.type() == DestinationType.ROUTE && routes.containsKey(d.ref())) {
                    visit("route " + d.ref(), path, state, inLoop, routes, conditions);
                } else if (d.type() == DestinationType.TIME_CONDITION && conditions.containsKey(d.ref())) {
                    visit("time condition " + d.ref(), path, state, inLoop, routes, conditions);
                }
            }
            path.remove(path.size() - 1);
            state.put(node, 2);
        }

        private static List<Destination> hops(String node, Map<String, Object> routes, Map<String, Object> conditions) {
            if (node.startsWith("route ")) {
                Inbound r = (Inbound) routes.get(node.substring(6));
                return r == null ? List.of() : List.of(r.destination);
            }
            TimeCondition c = (TimeCondition) conditions.get(node.substring(15));
            return c == null ? List.of() : List.of(c.match, c.otherwise);
        }

        private interface Check {
            /** @return a description of the first broken destination, or null */
            String broken(Object entry);
        }

        private boolean dropBroken(Map<String, Object> entries, String kind, Check check) {
            boolean changed = false;
            for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                String broken = check.broken(e.getValue());
                if (broken != null) {
                    problem(kind + " " + e.getKey(), broken + " (refused)");
                    it.remove();
                    changed = true;
                }
            }
            return changed;
        }

        private String firstBroken(Destination[] ds, Map<String, Object> conditions, Map<String, Object> groups,
                                   Map<String, Object> queues, Map<String, Object> routes) {
            for (Destination d : ds) {
                Map<String, Object> target = switch (d.type()) {
                    case TIME_CONDITION -> conditions;
                    case RING_GROUP -> groups;
                    case QUEUE -> queues;
                    case ROUTE -> routes;
                    default -> null;
                };
                if (target != null && !target.containsKey(d.ref())) {
                    return "points at " + d + " which does not exist or is refused";
                }
            }
            return null;
        }
    }
}
