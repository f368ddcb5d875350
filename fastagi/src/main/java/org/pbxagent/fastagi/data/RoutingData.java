package org.pbxagent.fastagi.data;

import java.util.List;

/**
 * Every routing row of the shared DB as read in one consistent transaction, keyed by names and numbers (never DB
 * ids), so the same value can be written to the disk snapshot and read back on a node that cannot reach the DB.
 * Plain data: no validation here; {@code RoutingCompiler} compiles and checks it.
 *
 * @param version the {@code routing_version} counter at the time of the read
 * @param readAtMillis when the rows were read from the DB (epoch milliseconds)
 */
public record RoutingData(
        long version,
        long readAtMillis,
        List<Tenant> tenants,
        List<Extension> extensions,
        List<TimeCondition> timeConditions,
        List<RingGroup> ringGroups,
        List<CallQueue> queues,
        List<InboundRoute> inboundRoutes,
        List<Trunk> trunks,
        List<OutboundRoute> outboundRoutes,
        List<BlockedCaller> blockedCallers,
        List<IvrMenu> ivrMenus,
        List<CallClass> callClasses) {

    /** Routing data without call classes. */
    public RoutingData(
            long version,
            long readAtMillis,
            List<Tenant> tenants,
            List<Extension> extensions,
            List<TimeCondition> timeConditions,
            List<RingGroup> ringGroups,
            List<CallQueue> queues,
            List<InboundRoute> inboundRoutes,
            List<Trunk> trunks,
            List<OutboundRoute> outboundRoutes,
            List<BlockedCaller> blockedCallers,
            List<IvrMenu> ivrMenus) {
        this(
                version,
                readAtMillis,
                tenants,
                extensions,
                timeConditions,
                ringGroups,
                queues,
                inboundRoutes,
                trunks,
                outboundRoutes,
                blockedCallers,
                ivrMenus,
                List.of());
    }

    /** Routing data without IVR menus. */
    public RoutingData(
            long version,
            long readAtMillis,
            List<Tenant> tenants,
            List<Extension> extensions,
            List<TimeCondition> timeConditions,
            List<RingGroup> ringGroups,
            List<CallQueue> queues,
            List<InboundRoute> inboundRoutes,
            List<Trunk> trunks,
            List<OutboundRoute> outboundRoutes,
            List<BlockedCaller> blockedCallers) {
        this(
                version,
                readAtMillis,
                tenants,
                extensions,
                timeConditions,
                ringGroups,
                queues,
                inboundRoutes,
                trunks,
                outboundRoutes,
                blockedCallers,
                List.of());
    }

    public RoutingData {
        tenants = List.copyOf(tenants);
        extensions = List.copyOf(extensions);
        timeConditions = List.copyOf(timeConditions);
        ringGroups = List.copyOf(ringGroups);
        queues = List.copyOf(queues);
        inboundRoutes = List.copyOf(inboundRoutes);
        trunks = List.copyOf(trunks);
        outboundRoutes = List.copyOf(outboundRoutes);
        blockedCallers = List.copyOf(blockedCallers);
        // a disk snapshot written before the kind existed has no such list: none
        ivrMenus = ivrMenus == null ? List.of() : List.copyOf(ivrMenus);
        callClasses = callClasses == null ? List.of() : List.copyOf(callClasses);
    }

    public record Tenant(String name, String timeZone) {}

    /** A user's phone. Forward targets are numbers: another extension or an outside number routed outbound. */
    public record Extension(
            String tenant,
            String number,
            String endpoint,
            String displayName,
            String voicemailBox,
            boolean dnd,
            String forwardAlways,
            String forwardBusy,
            String forwardNoAnswer,
            int ringTime,
            int callLimit,
            String outboundCallerId,
            String callClass) {
        /** An extension without a call class: it may use every outbound route. */
        public Extension(
                String tenant,
                String number,
                String endpoint,
                String displayName,
                String voicemailBox,
                boolean dnd,
                String forwardAlways,
                String forwardBusy,
                String forwardNoAnswer,
                int ringTime,
                int callLimit,
                String outboundCallerId) {
            this(
                    tenant,
                    number,
                    endpoint,
                    displayName,
                    voicemailBox,
                    dnd,
                    forwardAlways,
                    forwardBusy,
                    forwardNoAnswer,
                    ringTime,
                    callLimit,
                    outboundCallerId,
                    null);
        }

        /** The same extension in the call class of this name (null: every route). */
        public Extension withCallClass(String className) {
            return new Extension(
                    tenant,
                    number,
                    endpoint,
                    displayName,
                    voicemailBox,
                    dnd,
                    forwardAlways,
                    forwardBusy,
                    forwardNoAnswer,
                    ringTime,
                    callLimit,
                    outboundCallerId,
                    className);
        }
    }

    /** A typed reference to where a call goes; see the schema comment for what {@code ref} names per type. */
    public record Destination(String type, String ref) {}

    /** @param dayOfWeek 1 = Monday .. 7 = Sunday; times {@code HH:mm[:ss]}, end exclusive */
    public record TimeRange(int dayOfWeek, String start, String end) {}

    /**
     * A dated exception. Without hours it decides the whole day: open = false for a holiday, true for a special
     * opening. With hours ({@code HH:mm[:ss]}, end exclusive, {@code 24:00} allowed): open = true gives special hours
     * that replace the weekly ranges on that date, open = false a closed period within them.
     *
     * @param date {@code yyyy-MM-dd}
     * @param start null for the whole day
     * @param end   null for the whole day
     */
    public record TimeException(String date, boolean open, String name, String start, String end) {
        /** A whole-day exception. */
        public TimeException(String date, boolean open, String name) {
            this(date, open, name, null, null);
        }
    }

    public record TimeCondition(
            String tenant,
            String name,
            String timeZone,
            Destination match,
            Destination otherwise,
            List<TimeRange> ranges,
            List<TimeException> exceptions) {
        public TimeCondition {
            ranges = List.copyOf(ranges);
            exceptions = List.copyOf(exceptions);
        }
    }

    /** @param strategy RINGALL or HUNT; members are extension numbers in hunt order */
    public record RingGroup(
            String tenant,
            String number,
            String name,
            String strategy,
            int ringTime,
            Destination noAnswer,
            List<String> members) {
        public RingGroup {
            members = List.copyOf(members);
        }
    }

    public record CallQueue(String tenant, String name, String asteriskQueue, int maxWait, Destination failover) {}

    /** @param didPattern null when the route is only reachable as a ROUTE destination */
    public record InboundRoute(
            String tenant,
            String name,
            String didPattern,
            String callerIdPattern,
            int priority,
            Destination destination) {}

    /** @param dialString Asterisk dial string with {@code {number}} where the number goes */
    public record Trunk(String tenant, String name, String dialString) {}

    public record DialPattern(String pattern, int strip, String prepend) {}

    /** @param trunks trunk names in failover order */
    public record OutboundRoute(
            String tenant,
            String name,
            int priority,
            String callerIdNumber,
            String callerIdName,
            int ringTime,
            List<DialPattern> patterns,
            List<String> trunks) {
        public OutboundRoute {
            patterns = List.copyOf(patterns);
            trunks = List.copyOf(trunks);
        }
    }

    public record BlockedCaller(String tenant, String pattern, String reason) {}

    /**
     * An IVR menu (see {@code V4__ivr_menus.sql}): prompts are sound names, {@code invalidPrompt} and
     * {@code timeoutPrompt} may be null (the menu's prompt alone is played again).
     *
     * @param digitTimeout seconds to wait for each digit
     * @param directDial   true: any extension number of the tenant may be dialled from the menu
     * @param invalid      where the call goes after the invalid retries are used up
     * @param timeout      where the call goes after the timeout retries are used up
     */
    public record IvrMenu(
            String tenant,
            String name,
            String prompt,
            String invalidPrompt,
            String timeoutPrompt,
            int digitTimeout,
            int invalidRetries,
            int timeoutRetries,
            boolean directDial,
            Destination invalid,
            Destination timeout,
            List<IvrOption> options) {
        public IvrMenu {
            options = options == null ? List.of() : List.copyOf(options);
        }
    }

    /** @param digits the keys pressed for this choice */
    public record IvrOption(String digits, Destination destination) {}

    /**
     * Call rights (see {@code V5__call_classes.sql}): the outbound routes, by name, an extension of
     * this class may use.
     *
     * @param refusalPrompt sound played when a number routes only where the class may not go; null: the default
     */
    public record CallClass(String tenant, String name, String refusalPrompt, List<String> routes) {
        public CallClass {
            routes = routes == null ? List.of() : List.copyOf(routes);
        }
    }
}
