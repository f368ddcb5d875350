package org.pbxagent.fastagi;

/**
 * A FastAGI script whose whole answer is a {@link RouteDecision} computed from the request alone, so the server can
 * send it as one {@code EXEC MSet} command: one round trip. Implementations must not block (no DB, no I/O): they read an
 * in-memory snapshot. Everything the script needs from the call comes in the request (environment, query string,
 * arguments such as {@code dialstatus=${DIALSTATUS}}).
 */
@FunctionalInterface
public interface DecisionScript {
    RouteDecision decide(AgiRequest request);
}
