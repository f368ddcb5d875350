package org.pbxagent.fastagi.routing;

/** Routing data that cannot be used at all (no usable tenant, unreadable or corrupt snapshot file). */
public class RoutingSnapshotException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RoutingSnapshotException(String message) {
        super(message);
    }

    public RoutingSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
