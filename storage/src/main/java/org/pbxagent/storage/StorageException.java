package org.pbxagent.storage;

import org.pbxagent.storage.command.CommandResult;

/** A storage operation that failed, with the kind of failure the OCF layer reports (exit code) and a message. */
public final class StorageException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Generic failure (OCF 1). */
        FAILED,
        /** A program the operation needs is not installed (OCF 5). */
        NOT_INSTALLED,
        /** The configuration is wrong for this node (OCF 6). */
        NOT_CONFIGURED,
        /** The resource is cleanly not running (OCF 7). */
        NOT_RUNNING
    }

    private final Kind kind;

    public StorageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public static StorageException failed(String message) {
        return new StorageException(Kind.FAILED, message);
    }

    /** A failed command: NOT_INSTALLED when the program is missing, FAILED otherwise. */
    public static StorageException of(String what, CommandResult r) {
        return new StorageException(
                r.outcome() == CommandResult.Outcome.NOT_INSTALLED ? Kind.NOT_INSTALLED : Kind.FAILED,
                what + ": " + r.reason());
    }

    public Kind kind() {
        return kind;
    }
}
