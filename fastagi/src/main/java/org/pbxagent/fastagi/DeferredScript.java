package org.pbxagent.fastagi;

import java.util.function.Consumer;

/**
 * A script whose answer is a {@link RouteDecision} that needs work off the selector thread first, such as a write to
 * the shared DB (a feature code that sets a forward). {@link #decide} starts that work and returns at once; whoever
 * finishes it calls {@code answer} once, from any thread, and the server sends the decision as one {@code EXEC MSet}
 * from the session's own thread, as for a {@link DecisionScript}. The script bounds its own work: the session's reply
 * timeout is only the last guard (after it the session is closed unanswered, and a late answer is dropped).
 */
@FunctionalInterface
public interface DeferredScript {
    void decide(AgiRequest request, Consumer<RouteDecision> answer);
}
