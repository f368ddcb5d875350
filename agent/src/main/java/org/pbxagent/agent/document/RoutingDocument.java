package org.pbxagent.agent.document;

import java.util.List;

/**
 * One tenant's routing as an operator edits it (JSON or YAML, {@code etc/routing/schema.json}): every row of the
 * tenant, keyed by names and numbers, never DB ids. Fields are boxed so that a missing value can be told from a zero
 * and given the DB's default; {@link RoutingDocuments} checks the required ones and converts to and from the rows.
 *
 * @param routingVersion the {@code routing_version} the document was exported at; null for a hand-written one
 */
public record RoutingDocument(
        Long routingVersion,
        String tenant,
        String timeZone,
        List<Extension> extensions,
        List<TimeCondition> timeConditions,
        List<RingGroup> ringGroups,
        List<Queue> queues,
        List<InboundRoute> inboundRoutes,
        List<Trunk> trunks,
        List<OutboundRoute> outboundRoutes,
        List<BlockedCaller> blockedCallers,
        List<IvrMenu> ivrMenus,
        List<CallClass> callClasses) {

    /** A document without call classes. */
    public RoutingDocument(
            Long routingVersion,
            String tenant,
            String timeZone,
            List<Extension> extensions,
            List<TimeCondition> timeConditions,
            List<RingGroup> ringGroups,
            List<Queue> queues,
            List<InboundRoute> inboundRoutes,
            List<Trunk> trunks,
            List<OutboundRoute> outboundRoutes,
            List<BlockedCaller> blockedCallers,
            List<IvrMenu> ivrMenus) {
        this(
                routingVersion,
                tenant,
                timeZone,
                extensions,
                timeConditions,
                ringGroups,
                queues,
                inboundRoutes,
                trunks,
                outboundRoutes,
                blockedCallers,
                ivrMenus,
                null);
    }

    public record Extension(
            String number,
            String endpoint,
            String displayName,
            String voicemailBox,
            Boolean dnd,
            String forwardAlways,
            String forwardBusy,
            String forwardNoAnswer,
            Integer ringTime,
            Integer callLimit,
            String outboundCallerId,
            String callClass) {
        /** An extension without a call class (every outbound route). */
        public Extension(
                String number,
                String endpoint,
                String displayName,
                String voicemailBox,
                Boolean dnd,
                String forwardAlways,
                String forwardBusy,
                String forwardNoAnswer,
                Integer ringTime,
                Integer callLimit,
                String outboundCallerId) {
            this(
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
    }

    /** Where a call goes: {@code type} as in the DDL (EXTENSION, VOICEMAIL, RING_GROUP, ...), {@code ref} its name. */
    public record Destination(String type, String ref) {}

    /** @param dayOfWeek 1 = Monday .. 7 = Sunday */
    public record TimeRange(Integer dayOfWeek, String start, String end) {}

    public record TimeException(String date, Boolean open, String name, String start, String end) {}

    public record TimeCondition(
            String name,
            String timeZone,
            Destination match,
            Destination otherwise,
            List<TimeRange> ranges,
            List<TimeException> exceptions) {}

    public record RingGroup(
            String number,
            String name,
            String strategy,
            Integer ringTime,
            Destination noAnswer,
            List<String> members) {}

    public record Queue(String name, String asteriskQueue, Integer maxWait, Destination failover) {}

    public record InboundRoute(
            String name, String didPattern, String callerIdPattern, Integer priority, Destination destination) {}

    public record Trunk(String name, String dialString) {}

    public record DialPattern(String pattern, Integer strip, String prepend) {}

    public record OutboundRoute(
            String name,
            Integer priority,
            String callerIdNumber,
            String callerIdName,
            Integer ringTime,
            List<DialPattern> patterns,
            List<String> trunks) {}

    public record BlockedCaller(String pattern, String reason) {}

    /**
     * An IVR menu: its prompt, the digits and their destinations, retries with their own prompts and where the call
     * goes once they are used up; {@code IVR} is a destination type, so menus nest.
     */
    public record IvrMenu(
            String name,
            String prompt,
            String invalidPrompt,
            String timeoutPrompt,
            Integer digitTimeout,
            Integer invalidRetries,
            Integer timeoutRetries,
            Boolean directDial,
            Destination invalid,
            Destination timeout,
            List<IvrOption> options) {}

    public record IvrOption(String digits, Destination destination) {}

    /** Call rights: the outbound routes (by name) an extension naming this class may use. */
    public record CallClass(String name, String refusalPrompt, List<String> routes) {}
}
