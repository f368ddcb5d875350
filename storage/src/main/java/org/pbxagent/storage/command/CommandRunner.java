package org.pbxagent.storage.command;

/**
 * The only way the agent runs an external program. Implementations never throw for a failing program: every way a
 * run can end is a {@link CommandResult}.
 */
public interface CommandRunner {
    CommandResult run(BoundedCommand command);
}
