package org.pbxagent.storage.fence;

/** The SAN answered but the fence could not be done or verified (target missing, ACL rule refused, verify failed). */
public final class FenceException extends Exception {
    private static final long serialVersionUID = 1L;

    public FenceException(String message) {
        super(message);
    }
}
