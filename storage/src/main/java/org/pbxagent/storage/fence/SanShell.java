package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.List;
import org.pbxagent.storage.command.CommandResult;

/** Where the SAN's admin programs run: over SSH on the SAN node, or locally when the agent runs on it. */
public interface SanShell extends AutoCloseable {

    /**
     * Runs one program on the SAN. Never throws for a program that exits, whatever its code; throws
     * {@link SanAccessException} when the SAN cannot be reached, refuses us (host key, credentials, network) or does
     * not finish the program in time, which callers must not mistake for "off".
     */
    CommandResult run(List<String> argv, Duration timeout) throws SanAccessException;

    @Override
    void close();
}
