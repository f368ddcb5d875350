package org.pbxagent.fastagi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The answer to one call: channel variables, in the order they are to be set, that the static dialplan executes
 * ({@code ROUTE_ACTION}, {@code ROUTE_TARGET}, {@code ROUTE_TIMEOUT}, {@code ROUTE_OPTIONS}, {@code ROUTE_REASON},
 * {@code ROUTE_DEGRADED}, ...; the names are {@link RouteVariable}'s). The protocol layer turns it into
 * {@code EXEC MSet} commands.
 */
public final class RouteDecision {
    /** Above the session limit: congestion, so the proxy fails the call over to another PBX. */
    public static final RouteDecision OVERLOAD = fault(RouteAction.CONGESTION, "overload");
    /** The AGI URL names no script served here. */
    public static final RouteDecision UNKNOWN_SCRIPT = fault(RouteAction.HANGUP, "unknown-script");
    /** The script threw, or answered something that cannot be sent. */
    public static final RouteDecision SCRIPT_ERROR = fault(RouteAction.CONGESTION, "script-error");
    /** The request was not AGI. */
    public static final RouteDecision MALFORMED_REQUEST = fault(RouteAction.HANGUP, "malformed-request");

    private final List<String> names;
    private final List<String> values;

    private RouteDecision(List<String> names, List<String> values) {
        this.names = Collections.unmodifiableList(names);
        this.values = Collections.unmodifiableList(values);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An answer no script gave: the reason, then the action (last, as in every answer). */
    private static RouteDecision fault(RouteAction action, String reason) {
        return builder()
                .set(RouteVariable.REASON, reason)
                .set(RouteVariable.ACTION, action.name())
                .build();
    }

    public int size() {
        return names.size();
    }

    public String name(int i) {
        return names.get(i);
    }

    public String value(int i) {
        return values.get(i);
    }

    /** Value of the named variable, or null when the decision does not set it. */
    public String get(String name) {
        int i = names.indexOf(name);
        return i < 0 ? null : values.get(i);
    }

    /** Value of the variable, or null when the decision does not set it. */
    public String get(RouteVariable variable) {
        return get(variable.variable());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(names.get(i)).append('=').append(values.get(i));
        }
        return sb.toString();
    }

    public static final class Builder {
        private final List<String> names = new ArrayList<>(8);
        private final List<String> values = new ArrayList<>(8);

        /** Sets a variable; a later set of the same name replaces the earlier value in place. */
        public Builder set(String name, String value) {
            int i = names.indexOf(name);
            if (i >= 0) {
                values.set(i, value);
            } else {
                names.add(name);
                values.add(value);
            }
            return this;
        }

        public Builder set(RouteVariable variable, String value) {
            return set(variable.variable(), value);
        }

        public RouteDecision build() {
            return new RouteDecision(names, values);
        }
    }
}
