package org.pbxagent.fastagi;

/**
 * The channel variables of a route answer, as the static dialplan reads them. {@link #ACTION} is set last in every
 * answer: a session cut half-way leaves none, and the dialplan takes its fallback instead of a partial answer.
 */
public enum RouteVariable {
    /** What the dialplan does: one of {@link RouteAction}. */
    ACTION("ROUTE_ACTION"),
    /** Dial string, mailbox, Asterisk queue, sound or hangup cause, depending on the action. */
    TARGET("ROUTE_TARGET"),
    /** Ring or wait time in seconds. */
    TIMEOUT("ROUTE_TIMEOUT"),
    /** Options of the action (the voicemail greeting). */
    OPTIONS("ROUTE_OPTIONS"),
    /** State handed back to the {@code next} script after a Dial or Queue. */
    STEP("ROUTE_STEP"),
    TENANT("ROUTE_TENANT"),
    /** Why this answer: for the log, metrics and an operator, never for branching. */
    REASON("ROUTE_REASON"),
    /** "1" when answered from a snapshot the DB did not confirm, else "0". */
    DEGRADED("ROUTE_DEGRADED"),
    CALLERID_NUM("ROUTE_CALLERID_NUM"),
    CALLERID_NAME("ROUTE_CALLERID_NAME"),
    /** Concurrent call limit of the extension dialled, and the group it is counted in. */
    LIMIT("ROUTE_LIMIT"),
    LIMIT_GROUP("ROUTE_LIMIT_GROUP"),
    /** Most digits an IVR step reads (ROUTE_TARGET is the prompt, ROUTE_TIMEOUT the digit timeout). */
    IVR_MAX_DIGITS("ROUTE_IVR_MAX");

    /** {@link #DEGRADED}'s value when the answer is degraded. */
    public static final String DEGRADED_YES = "1";

    public static final String DEGRADED_NO = "0";

    private final String variable;

    RouteVariable(String variable) {
        this.variable = variable;
    }

    /** The channel variable's name, e.g. {@code ROUTE_ACTION}. */
    public String variable() {
        return variable;
    }
}
