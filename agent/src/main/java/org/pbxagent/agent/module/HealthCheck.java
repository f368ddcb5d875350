package org.pbxagent.agent.module;

/** A readiness check run on every GET /health; must answer from memory, without I/O. */
@FunctionalInterface
public interface HealthCheck {
    Health check();
}
