package org.pbxagent.agent.balancer;

import org.pbxagent.agent.config.ConfigSource;

/**
 * {@code haproxy.*}: the HAProxy agent-check port (off by default).
 *
 * @param enabled true opens the port
 * @param bind    listen address; only the balancers need to reach it
 * @param port    listen port (0 = any free port, for tests)
 */
public record HaproxySettings(boolean enabled, String bind, int port) {

    public static HaproxySettings read(ConfigSource s) {
        boolean enabled = s.bool("enabled", false);
        String bind = s.ipAddress("bind", "127.0.0.1");
        int port = s.port("port", 5555, true);
        return new HaproxySettings(enabled, bind, port);
    }

    @Override
    public String toString() {
        return "haproxy: enabled=" + enabled + " bind=" + bind + " port=" + port;
    }
}
