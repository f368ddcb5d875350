package org.pbxagent.storage.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server on 127.0.0.1 as the SAN's SSH service: generated host key, a generated user key for root
 * (tgtadm needs root), a known_hosts file that holds exactly this server's host key.
 */
public final class SshdSan implements AutoCloseable {

    public final int port;
    public final Path identity;
    public final Path knownHosts;
    public final Path dir;
    private final Process process;

    private SshdSan(int port, Path identity, Path knownHosts, Path dir, Process process) {
        this.port = port;
        this.identity = identity;
        this.knownHosts = knownHosts;
        this.dir = dir;
        this.process = process;
    }

    public static SshdSan start(Path dir) throws Exception {
        Files.createDirectories(Path.of("/run/sshd"));
        Path hostKey = dir.resolve("ssh_host_ed25519_key");
        Path userKey = dir.resolve("id_ed25519");
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "san-host", "-f", hostKey.toString());
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fencer", "-f", userKey.toString());
        Path authorized = dir.resolve("authorized_keys");
        Files.copy(dir.resolve("id_ed25519.pub"), authorized);
        int port = FreePort.pick();
        Path knownHosts = dir.resolve("known_hosts");
        String hostPub =
                Files.readString(dir.resolve("ssh_host_ed25519_key.pub")).strip();
        String[] parts = hostPub.split(" ");
        Files.writeString(knownHosts, "[127.0.0.1]:" + port + " " + parts[0] + " " + parts[1] + "\n");
        Path config = dir.resolve("sshd_config");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "ListenAddress 127.0.0.1:" + port,
                        "HostKey " + hostKey,
                        "PidFile " + dir.resolve("sshd.pid"),
                        "AuthorizedKeysFile " + authorized,
                        "PermitRootLogin prohibit-password",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "UsePAM no",
                        "StrictModes no",
                        "LogLevel ERROR",
                        ""));
        // sshd runs in a private mount namespace where root's ~/.bashrc is an empty file: bash sources it for
        // every SSH command, and the machine's own dotfiles must not decide whether a test passes.
        Path emptyRc = Files.writeString(dir.resolve("empty.bashrc"), "");
        Process p = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "if [ -e /root/.bashrc ]; then mount --bind \"$1\" /root/.bashrc || exit 97; fi; "
                                + "exec /usr/sbin/sshd -D -e -f \"$2\"",
                        "sshd-ns",
                        emptyRc.toString(),
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.log").toFile())
                .start();
        SshdSan s = new SshdSan(port, userKey, knownHosts, dir, p);
        try {
            FreePort.awaitListening(port, Duration.ofSeconds(10), p);
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return s;
    }

    @Override
    public void close() {
        // sshd -D forks one child per connection; they end with their connections, the listener ends here.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
