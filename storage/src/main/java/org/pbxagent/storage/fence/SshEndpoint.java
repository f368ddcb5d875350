package org.pbxagent.storage.fence;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** The SAN's SSH service: who we are (key), who it must be (known_hosts), and how long we wait to get in. */
public record SshEndpoint(
        String host, int port, String user, Path identityFile, Path knownHostsFile, Duration connectTimeout) {

    public SshEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(identityFile, "identityFile");
        Objects.requireNonNull(knownHostsFile, "knownHostsFile");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (host.isBlank() || host.startsWith("-")) {
            throw new IllegalArgumentException("bad SAN host: " + host);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad SAN SSH port: " + port);
        }
        if (user.isBlank() || !user.matches("[A-Za-z0-9_.][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("bad SAN SSH user: " + user);
        }
    }
}
