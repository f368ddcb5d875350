package org.pbxagent.ocf.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The SAN node's real OpenSSH server, inside the lab's namespace on ADDRESS:22, letting root in with a generated
 * key only, so {@code fence_pbx_san} runs tgtadm there exactly as on a production SAN.
 */
final class LabSsh implements AutoCloseable {

    final String address;
    final Path identity;
    final Path knownHosts;
    private final Process process;

    private LabSsh(String address, Path identity, Path knownHosts, Process process) {
        this.address = address;
        this.identity = identity;
        this.knownHosts = knownHosts;
        this.process = process;
    }

    static LabSsh start(LabNet net, Path dir, String address) throws Exception {
        Files.createDirectories(Path.of("/run/sshd"));
        Path hostKey = dir.resolve("ssh_host_ed25519_key");
        Path userKey = dir.resolve("fence_ed25519");
        Labs.exec(
                Duration.ofSeconds(30),
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "san",
                "-f",
                hostKey.toString());
        Labs.exec(
                Duration.ofSeconds(30),
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "fencer",
                "-f",
                userKey.toString());
        Path authorized = Files.copy(dir.resolve("fence_ed25519.pub"), dir.resolve("authorized_keys"));
        String[] hostPub = Files.readString(dir.resolve("ssh_host_ed25519_key.pub"))
                .strip()
                .split(" ");
        Path knownHosts =
                Files.writeString(dir.resolve("san_known_hosts"), address + " " + hostPub[0] + " " + hostPub[1] + "\n");
        Path config = Files.writeString(
                dir.resolve("sshd_config"),
                String.join(
                        "\n",
                        "ListenAddress " + address + ":22",
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
        // root's shell start-up files of this machine must not decide whether a fencing command works.
        Path emptyRc = Files.writeString(dir.resolve("empty.bashrc"), "");
        Process p = new ProcessBuilder(net.inside(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "for f in /root/.bashrc /root/.profile; do [ -e \"$f\" ] && { mount --bind \"$1\" \"$f\" || exit 97; }; done; "
                                + "exec /usr/sbin/sshd -D -e -f \"$2\"",
                        "sshd-ns",
                        emptyRc.toString(),
                        config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.log").toFile())
                .start();
        LabSsh s = new LabSsh(address, userKey, knownHosts, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Labs.run(
                                Duration.ofSeconds(5),
                                net.inside("bash", "-c", "exec 3<>/dev/tcp/" + address + "/22", "x")
                                        .toArray(String[]::new))
                        .rc()
                != 0) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                s.close();
                throw new IllegalStateException("sshd not listening: " + Files.readString(dir.resolve("sshd.log")));
            }
            Thread.sleep(100);
        }
        return s;
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
