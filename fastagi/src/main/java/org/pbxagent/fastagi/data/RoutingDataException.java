package org.pbxagent.fastagi.data;

/** Routing data could not be read, migrated or written; the message says which step and why. */
public class RoutingDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RoutingDataException(String message, Throwable cause) {
        super(message, cause);
    }

    public RoutingDataException(String message) {
        super(message);
    }
}
