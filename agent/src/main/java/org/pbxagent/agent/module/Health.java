package org.pbxagent.agent.module;

/**
 * One readiness fact: {@code ok=false} makes /health answer 503 with the reason.
 *
 * @param ok     the part can do its job
 * @param reason short text for operators and Pacemaker's logs; for ok=true a note such as "degraded: DB down"
 */
public record Health(boolean ok, String reason) {

    public static Health ok(String note) {
        return new Health(true, note == null ? "" : note);
    }

    public static Health failed(String reason) {
        return new Health(false, reason);
    }
}
