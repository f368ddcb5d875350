package org.pbxagent.agent.module;

import java.time.Instant;
import java.util.Map;

/**
 * Where this node stands in the balancer's rotation.
 *
 * @param drained true when no new calls should come
 * @param reason  why (empty when in rotation)
 * @param since   when the state last changed
 * @param details implementation-specific facts for /status, e.g. per-proxy push results (never null)
 */
public record DrainState(boolean drained, String reason, Instant since, Map<String, Object> details) {

    public DrainState {
        reason = reason == null ? "" : reason;
        // In the order given: /status and the page list the details as the drain switch wrote them.
        details = details == null
                ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    public static DrainState active(Instant since) {
        return new DrainState(false, "", since, Map.of());
    }
}
