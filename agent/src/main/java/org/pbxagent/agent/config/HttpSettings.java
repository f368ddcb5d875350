package org.pbxagent.agent.config;

import java.time.Duration;

/**
 * {@code http.*}: status, metrics and admin endpoints.
 *
 * @param enabled      false turns the HTTP server off (the OCF agents then cannot ask /health)
 * @param bind         listen address; keep it on loopback or a management network
 * @param port         listen port (0 = any free port, for tests)
 * @param adminToken   bearer token for POST /drain and /undrain (masked)
 * @param idleTimeout  a connection idle this long is closed
 * @param maxThreads   Jetty worker threads
 */
public record HttpSettings(boolean enabled, String bind, int port, Secret adminToken, Duration idleTimeout,
                           int maxThreads) {

    public static HttpSettings read(ConfigSource s) {
        boolean enabled = s.bool("enabled", true);
        String bind = s.ipAddress("bind", "127.0.0.1");
        int port = s.port("port", 8088, true);
        Secret token = s.secret("admin-token", enabled, 16);
        Duration idle = s.millis("idle-timeout-ms", 10_000, 500, 600_000);
        int threads = s.intRange("max-threads", 16, 4, 500);
        return new HttpSettings(enabled, bind, port, token, idle, threads);
    }

    @Override
    public String toString() {
        return "http: enabled=" + enabled + " bind=" + bind + " port=" + port + " admin-token=" + adminToken
                + " idle-timeout=" + idleTimeout.toMillis() + "ms max-threads=" + maxThreads;
    }
}
