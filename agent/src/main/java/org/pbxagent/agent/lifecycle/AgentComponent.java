package org.pbxagent.agent.lifecycle;

/**
 * A part of the daemon with a start and a stop. Components start in the order they are registered and stop in
 * reverse order; {@link #close()} must be idempotent, bounded in time, and safe after a failed or missing start.
 */
public interface AgentComponent extends AutoCloseable {

    String name();

    void start() throws Exception;

    @Override
    void close() throws Exception;
}
