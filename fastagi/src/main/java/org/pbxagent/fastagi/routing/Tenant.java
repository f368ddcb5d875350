package org.pbxagent.fastagi.routing;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One tenant's compiled routing, read-only once built: every destination an entry holds exists in the same tenant
 * (the {@link RoutingCompiler} refused the entries whose destination did not), so the router follows them without
 * checks. The call path asks it through the lookup methods; none of them allocates or locks.
 */
public final class Tenant {
    /** Shape of a tenant's or an entry's name; the router checks a call's input against the same shape. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** Shape of a number: extension, ring group, DID, dialled number, forward target. */
    static final Pattern NUMBER = Pattern.compile("[0-9A-Za-z*#+]{1,32}");

    /** Explicit priority first; then a caller-ID-specific route, an exact DID, the more literal pattern, the name. */
    static final Comparator<Inbound> INBOUND_ORDER = Comparator.<Inbound>comparingInt(r -> r.priority)
            .thenComparing(r -> r.callerId == null)
            .thenComparing(r -> !r.did.isExact())
            .thenComparing(r -> -r.did.literalCount())
            .thenComparing(r -> r.name);
    /** Outbound routes are tried by priority, then by name. */
    private static final Comparator<Outbound> OUTBOUND_ORDER =
            Comparator.<Outbound>comparingInt(o -> o.priority).thenComparing(o -> o.name);

    private final String name;
    private final Map<String, Extension> extensions;
    private final Map<String, List<Inbound>> exactDids;
    private final List<Inbound> patternDids;
    private final Map<String, Inbound> routesByName;
    private final Map<String, TimeCondition> conditions;
    private final Map<String, RingGroup> groups;
    private final Map<String, Queue> queues;
    private final List<Outbound> outbound;
    private final Map<String, Outbound> outboundByName;
    private final Map<String, Ivr> ivrs;
    private final Set<String> blockedExact;
    private final List<AsteriskPattern> blockedPatterns;
    /** Extension number -> its call class; an extension not in it may use every outbound route. */
    private final Map<String, CallClass> callClasses;

    /**
     * Indexes the compiled entries for the call path: inbound routes by exact DID and in match order, outbound
     * routes in the order they are tried, blocked callers split into exact numbers and patterns.
     *
     * @param routes  inbound routes; one without a DID pattern is reachable by name only (from another route)
     * @param outbound outbound routes in row order (equal priorities and names keep it)
     */
    Tenant(
            String name,
            Map<String, Extension> extensions,
            Collection<Inbound> routes,
            Map<String, TimeCondition> conditions,
            Map<String, RingGroup> groups,
            Map<String, Queue> queues,
            List<Outbound> outbound,
            List<AsteriskPattern> blocked,
            Map<String, Ivr> ivrs) {
        this(name, extensions, routes, conditions, groups, queues, outbound, blocked, ivrs, Map.of());
    }

    /** @param callClasses extension number -> the call class it is in (absent: every outbound route) */
    Tenant(
            String name,
            Map<String, Extension> extensions,
            Collection<Inbound> routes,
            Map<String, TimeCondition> conditions,
            Map<String, RingGroup> groups,
            Map<String, Queue> queues,
            List<Outbound> outbound,
            List<AsteriskPattern> blocked,
            Map<String, Ivr> ivrs,
            Map<String, CallClass> callClasses) {
        this.name = name;
        this.callClasses = Map.copyOf(callClasses);
        this.ivrs = Map.copyOf(ivrs);
        this.extensions = Map.copyOf(extensions);
        this.conditions = Map.copyOf(conditions);
        this.groups = Map.copyOf(groups);
        this.queues = Map.copyOf(queues);

        Map<String, Inbound> byName = new HashMap<>();
        Map<String, List<Inbound>> exact = new HashMap<>();
        List<Inbound> patterns = new ArrayList<>();
        for (Inbound r : routes) {
            byName.put(r.name, r);
            if (r.did == null) {
                continue;
            }
            if (r.did.isExact()) {
                exact.computeIfAbsent(r.did.exact(), k -> new ArrayList<>()).add(r);
            } else {
                patterns.add(r);
            }
        }
        Map<String, List<Inbound>> exactSorted = new HashMap<>();
        exact.forEach((did, list) -> {
            list.sort(INBOUND_ORDER);
            exactSorted.put(did, List.copyOf(list));
        });
        patterns.sort(INBOUND_ORDER);
        this.routesByName = Map.copyOf(byName);
        this.exactDids = Map.copyOf(exactSorted);
        this.patternDids = List.copyOf(patterns);

        List<Outbound> out = new ArrayList<>(outbound);
        out.sort(OUTBOUND_ORDER);
        Map<String, Outbound> outByName = new HashMap<>();
        for (Outbound o : outbound) {
            outByName.put(o.name, o); // a later row of the same name wins, as it always did
        }
        this.outbound = List.copyOf(out);
        this.outboundByName = Map.copyOf(outByName);

        Set<String> exactCallers = new HashSet<>();
        List<AsteriskPattern> callerPatterns = new ArrayList<>();
        for (AsteriskPattern p : blocked) {
            if (p.isExact()) {
                exactCallers.add(p.exact());
            } else {
                callerPatterns.add(p);
            }
        }
        this.blockedExact = Set.copyOf(exactCallers);
        this.blockedPatterns = List.copyOf(callerPatterns);
    }

    public String name() {
        return name;
    }

    // The read-only maps throw on a null key: each lookup answers null for it, as a missing entry.

    /** @return the extension with this number, or null */
    Extension extension(String number) {
        return number == null ? null : extensions.get(number);
    }

    /** @return the ring group with this number, or null */
    RingGroup ringGroup(String number) {
        return number == null ? null : groups.get(number);
    }

    /** @return the queue of this name, or null */
    Queue queue(String queueName) {
        return queueName == null ? null : queues.get(queueName);
    }

    /** @return the inbound route of this name, or null */
    Inbound route(String routeName) {
        return routeName == null ? null : routesByName.get(routeName);
    }

    /** @return the time condition of this name, or null */
    TimeCondition timeCondition(String conditionName) {
        return conditionName == null ? null : conditions.get(conditionName);
    }

    /** @return the IVR menu of this name, or null */
    Ivr ivr(String menuName) {
        return menuName == null ? null : ivrs.get(menuName);
    }

    /** @return the outbound route of this name, or null */
    Outbound outboundRoute(String routeName) {
        return routeName == null ? null : outboundByName.get(routeName);
    }

    /** @return the call class of this extension, or null when it may use every outbound route */
    CallClass callClassOf(String number) {
        return number == null ? null : callClasses.get(number);
    }

    /** The outbound routes in the order a dialled number tries them. */
    List<Outbound> outboundRoutes() {
        return outbound;
    }

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
        List<Inbound> exact = did == null ? null : exactDids.get(did);
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

    // ------------------------------------------------------------------------------------------------ entries

    /** A phone, with its forwards already checked to lead somewhere and not to loop. */
    static final class Extension {
        final String number;
        final String endpoint;
        final String displayName;
        /** Voicemail box, or null when the extension has none. */
        final String mailbox;

        final boolean dnd;
        final String forwardAlways;
        final String forwardBusy;
        final String forwardNoAnswer;
        final int ringTime;
        final int callLimit;
        final String outboundCallerId;

        Extension(
                String number,
                String endpoint,
                String displayName,
                String mailbox,
                boolean dnd,
                String forwardAlways,
                String forwardBusy,
                String forwardNoAnswer,
                int ringTime,
                int callLimit,
                String outboundCallerId) {
            this.number = number;
            this.endpoint = endpoint;
            this.displayName = displayName;
            this.mailbox = mailbox;
            this.dnd = dnd;
            this.forwardAlways = forwardAlways;
            this.forwardBusy = forwardBusy;
            this.forwardNoAnswer = forwardNoAnswer;
            this.ringTime = ringTime;
            this.callLimit = callLimit;
            this.outboundCallerId = outboundCallerId;
        }

        /** The same extension with its unconditional forward dropped (it was part of a loop). */
        Extension withoutForwardAlways() {
            return new Extension(
                    number,
                    endpoint,
                    displayName,
                    mailbox,
                    dnd,
                    null,
                    forwardBusy,
                    forwardNoAnswer,
                    ringTime,
                    callLimit,
                    outboundCallerId);
        }
    }

    /** An inbound route: which DID (and caller) it takes, and where the call goes. */
    static final class Inbound {
        final String name;
        /** Null: reachable only from another route or a condition, by name. */
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

    /** Opening hours: weekly ranges and dated exceptions in a time zone, and a destination for open and closed. */
    static final class TimeCondition {
        final String name;
        final ZoneId zone;
        final Destination match;
        final Destination otherwise;
        private final int[][] rangesByDay; // [1..7] -> start,end,start,end ... seconds of day
        /** date -> open,start,end triples (seconds of day; whole day = 0..86400 with start -1) */
        private final Map<LocalDate, int[]> exceptions;

        /** The arrays are the compiler's own, handed over and never written again. */
        TimeCondition(
                String name,
                ZoneId zone,
                Destination match,
                Destination otherwise,
                int[][] rangesByDay,
                Map<LocalDate, int[]> exceptions) {
            this.name = name;
            this.zone = zone;
            this.match = match;
            this.otherwise = otherwise;
            this.rangesByDay = rangesByDay;
            this.exceptions = Map.copyOf(exceptions);
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

    /** Extensions rung together (ring-all) or one after the other (hunt), then a no-answer destination. */
    static final class RingGroup {
        final String number;
        final boolean hunt;
        final int ringTime;
        final Destination noAnswer;
        /** Extension numbers, each an extension of the tenant. */
        final List<String> members;

        RingGroup(String number, boolean hunt, int ringTime, Destination noAnswer, List<String> members) {
            this.number = number;
            this.hunt = hunt;
            this.ringTime = ringTime;
            this.noAnswer = noAnswer;
            this.members = List.copyOf(members);
        }
    }

    /** An Asterisk queue with a bounded wait and where the call goes when it ends unanswered. */
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

    /** A dialled-number pattern of an outbound route, and how the number is rewritten for the trunk. */
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

    /** An outbound route: the numbers it takes and the trunks it tries, in order. */
    static final class Outbound {
        final String name;
        final int priority;
        final String callerIdNumber;
        final String callerIdName;
        final int ringTime;
        final List<DialPattern> patterns;
        final List<String> trunkDialStrings;

        Outbound(
                String name,
                int priority,
                String callerIdNumber,
                String callerIdName,
                int ringTime,
                List<DialPattern> patterns,
                List<String> trunkDialStrings) {
            this.name = name;
            this.priority = priority;
            this.callerIdNumber = callerIdNumber;
            this.callerIdName = callerIdName;
            this.ringTime = ringTime;
            this.patterns = List.copyOf(patterns);
            this.trunkDialStrings = List.copyOf(trunkDialStrings);
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

    /**
     * An IVR menu: what one step plays and reads, where each key leads, and where the call goes once the invalid or
     * the timeout retries are used up. The retry prompts already hold the menu's prompt after their own.
     */
    static final class Ivr {
        final String name;
        final String prompt;
        /** Played after an invalid choice: the invalid prompt, then the menu's prompt. */
        final String invalidPrompt;
        /** Played after silence: the timeout prompt, then the menu's prompt. */
        final String timeoutPrompt;

        final int digitTimeout;
        /** The most digits a choice can have, as the dialplan reads it (ROUTE_IVR_MAX). */
        final String maxDigits;

        final int invalidRetries;
        final int timeoutRetries;
        final boolean directDial;
        final Destination invalid;
        final Destination timeout;
        private final Map<String, Destination> options;

        Ivr(
                String name,
                String prompt,
                String invalidPrompt,
                String timeoutPrompt,
                int digitTimeout,
                int maxDigits,
                int invalidRetries,
                int timeoutRetries,
                boolean directDial,
                Destination invalid,
                Destination timeout,
                Map<String, Destination> options) {
            this.name = name;
            this.prompt = prompt;
            this.invalidPrompt = invalidPrompt == null ? prompt : invalidPrompt + "&" + prompt;
            this.timeoutPrompt = timeoutPrompt == null ? prompt : timeoutPrompt + "&" + prompt;
            this.digitTimeout = digitTimeout;
            this.maxDigits = Integer.toString(maxDigits);
            this.invalidRetries = invalidRetries;
            this.timeoutRetries = timeoutRetries;
            this.directDial = directDial;
            this.invalid = invalid;
            this.timeout = timeout;
            this.options = Map.copyOf(options);
        }

        /** @return where these digits lead, or null when they are no choice of the menu */
        Destination option(String digits) {
            return digits == null ? null : options.get(digits);
        }

        /** Every choice: digits to destination. */
        Map<String, Destination> options() {
            return options;
        }
    }

    /** Call rights: the outbound routes an extension of this class may use, and what a refused caller hears. */
    static final class CallClass {
        final String name;
        final Set<String> routes;
        final String refusalPrompt;

        CallClass(String name, Set<String> routes, String refusalPrompt) {
            this.name = name;
            this.routes = Set.copyOf(routes);
            this.refusalPrompt = refusalPrompt;
        }

        boolean allows(Outbound route) {
            return routes.contains(route.name);
        }
    }
}
