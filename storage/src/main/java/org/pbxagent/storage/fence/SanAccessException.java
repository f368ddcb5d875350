package org.pbxagent.storage.fence;

/** The SAN could not be reached or did not let us in. The kind maps to the fence-agents exit codes. */
public final class SanAccessException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** TCP connect failed or the connection dropped. */
        UNREACHABLE,
        /** Connect or command did not finish in its budget. */
        TIMED_OUT,
        /** The SAN's host key is not in known_hosts, or differs from it. Never accepted blindly. */
        HOST_KEY_REJECTED,
        /** Key authentication failed (wrong user or key). */
        LOGIN_DENIED,
        /** The private key or known_hosts file is missing or unreadable. */
        LOCAL_SETUP
    }

    private final Kind kind;

    public SanAccessException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
