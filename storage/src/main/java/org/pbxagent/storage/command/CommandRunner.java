package org.pbxagent.storage.command;

/**
 * The only way the agent runs an external program. Implementations never throw for a failing program: every way a
 * run can end is a {@link CommandResult}.
 */
public interface CommandRunner {
    CommandResult run(BoundedCommand command);

    /** How long a run may take beyond its timeout (killing and giving up a stuck program); zero if it never does. */
    default java.time.Duration killBound() {
        return java.time.Duration.ZERO;
    }
}
