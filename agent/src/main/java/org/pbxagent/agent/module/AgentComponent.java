package org.pbxagent.agent.module;

/**
 * A part of the daemon with a start and a stop. Components start in the order they are registered and stop in
 * reverse order; {@link #close()} must be idempotent, bounded in time, and safe after a failed or missing start.
 */
@SuppressWarnings("try") // close() may throw any stop failure; the daemon calls it itself, never in try-with-resources
public interface AgentComponent extends AutoCloseable {

    String name();

    void start() throws Exception;

    @Override
    void close() throws Exception;

    /** A component made of a start and a stop step; {@code stop} must itself be idempotent and bounded. */
    static AgentComponent of(String name, Step start, Step stop) {
        return new AgentComponent() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void start() throws Exception {
                start.run();
            }

            @Override
            public void close() throws Exception {
                stop.run();
            }
        };
    }

    /** One start or stop step of a component. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }
}
