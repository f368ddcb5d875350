package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.testing.Exec;
import org.pbxagent.storage.testing.FreePort;
import org.pbxagent.storage.testing.TgtdSan;

/**
 * The SAN account that can only fence, over a real sshd and a real tgtd: a non-root user whose key is forced to
 * {@code sudo -n pbx-san-fence CONF} by {@code restrict,command=...}, and one sudo rule for exactly that command.
 * The user, its sudo rule and sshd live in a private mount namespace (bind-mounted copies of /etc/passwd, group,
 * shadow and sudoers), so the machine's own accounts are untouched. The key cannot run {@code id}, delete a LUN,
 * touch another target or another initiator; fence_pbx_san (the in-process agent, login=pbxfence) still fences.
 */
class SanFenceCommandIT {

    static final String NODE1 = FenceIT.NODE1;
    static final String NODE2 = FenceIT.NODE2;
    static final String STRANGER = "iqn.2026-11.org.pbxagent:stranger";
    static final String OTHER_TARGET = "iqn.2026-11.org.pbxagent:other";
    static final String USER = "pbxfence";

    @TempDir
    static Path dir;

    static TgtdSan san;
    static Process sshd;
    static int port;
    static Path key;
    static Path knownHosts;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        san = TgtdSan.start(Files.createDirectories(dir.resolve("san")), NODE1, NODE2);
        // A second target of the same SAN, with its own LUN, that fencing must never reach.
        Path otherLun = dir.resolve("san/other.img");
        Exec.ok("truncate", "-s", "8M", otherLun.toString());
        san.tgtadm("--op", "new", "--mode", "target", "--tid", "2", "-T", OTHER_TARGET);
        san.tgtadm("--op", "new", "--mode", "logicalunit", "--tid", "2", "--lun", "1", "-b", otherLun.toString());
        san.tgtadm("--op", "bind", "--mode", "target", "--tid", "2", "--initiator-name", NODE1);

        Path ssh = Files.createDirectories(dir.resolve("ssh"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path command = Path.of("san", "pbx-san-fence").toAbsolutePath();
        log = ssh.resolve("pbx-san-fence.log");
        Path conf = Files.writeString(
                ssh.resolve("pbx-san-fence.conf"),
                String.join(
                        "\n",
                        "backend = tgt",
                        "target = " + TgtdSan.TARGET,
                        "initiators = " + NODE1 + ", " + NODE2,
                        "tgt-control-port = " + san.controlPort,
                        "log-file = " + log,
                        "command-timeout-s = 10",
                        ""));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));

        Path hostKey = ssh.resolve("host_key");
        key = ssh.resolve("fence_key");
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "san-host", "-f", hostKey.toString());
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pbx1-fencing", "-f", key.toString());
        port = FreePort.pick();
        String[] hostPub = Files.readString(ssh.resolve("host_key.pub")).strip().split(" ");
        knownHosts = Files.writeString(
                ssh.resolve("known_hosts"), "[127.0.0.1]:" + port + " " + hostPub[0] + " " + hostPub[1] + "\n");
        // As the storage README says to install it.
        Path authorized = Files.writeString(
                ssh.resolve("authorized_keys"),
                "restrict,command=\"sudo -n " + command + " " + conf + "\" "
                        + Files.readString(ssh.resolve("fence_key.pub")).strip() + "\n");
        Path sudoers = Files.writeString(
                ssh.resolve("sudoers"),
                String.join(
                        "\n",
                        "Defaults env_reset",
                        "Defaults!" + command + " env_keep += \"SSH_ORIGINAL_COMMAND SSH_CLIENT\"",
                        "root ALL=(ALL:ALL) ALL",
                        USER + " ALL=(root) NOPASSWD: " + command + " " + conf,
                        ""));
        Files.setPosixFilePermissions(sudoers, PosixFilePermissions.fromString("r--r-----"));

        // A free uid for the account, private to the namespace.
        String passwdText = Files.readString(Path.of("/etc/passwd"));
        int uid = 64_000 + (int) (ProcessHandle.current().pid() % 1000);
        while (passwdText.contains(":" + uid + ":")) {
            uid++;
        }
        Path home = Files.createDirectories(ssh.resolve("home"));
        Exec.ok("chown", uid + ":" + uid, home.toString());
        Path passwd = Files.writeString(
                ssh.resolve("passwd"), passwdText + USER + ":x:" + uid + ":" + uid + "::" + home + ":/bin/sh\n");
        Path group = Files.writeString(
                ssh.resolve("group"), Files.readString(Path.of("/etc/group")) + USER + ":x:" + uid + ":\n");
        Path shadow = Files.writeString(
                ssh.resolve("shadow"), Files.readString(Path.of("/etc/shadow")) + USER + ":*:20000:0:99999:7:::\n");
        Files.setPosixFilePermissions(shadow, PosixFilePermissions.fromString("rw-------"));
        Path config = Files.writeString(
                ssh.resolve("sshd_config"),
                String.join(
                        "\n",
                        "ListenAddress 127.0.0.1:" + port,
                        "HostKey " + hostKey,
                        "PidFile " + ssh.resolve("sshd.pid"),
                        "AuthorizedKeysFile " + authorized,
                        "AllowUsers " + USER,
                        "PermitRootLogin no",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "UsePAM no",
                        "StrictModes no",
                        "LogLevel ERROR",
                        ""));
        Files.createDirectories(Path.of("/run/sshd"));
        sshd = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && mount --bind \"$3\" /etc/shadow"
                                + " && mount --bind \"$4\" /etc/sudoers || exit 97; exec /usr/sbin/sshd -D -e -f \"$5\"",
                        "sshd-ns",
                        passwd.toString(),
                        group.toString(),
                        shadow.toString(),
                        sudoers.toString(),
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ssh.resolve("sshd.log").toFile())
                .start();
        FreePort.awaitListening(port, Duration.ofSeconds(10), sshd);
    }

    @AfterAll
    static void stop() throws Exception {
        if (sshd != null) {
            sshd.descendants().forEach(ProcessHandle::destroyForcibly);
            sshd.destroy();
            if (!sshd.waitFor(5, TimeUnit.SECONDS)) {
                sshd.destroyForcibly();
            }
        }
        if (san != null) {
            san.close();
        }
    }

    @AfterEach
    void bothAdmitted() {
        for (String n : List.of(NODE1, NODE2)) {
            if (!targetBlock(1).contains("        " + n + "\n")) {
                san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-name", n);
            }
        }
    }

    record Remote(int exit, String out, String err) {}

    /** Sends {@code command} as the raw SSH command line, exactly as typed, with the fencing key. */
    static Remote ssh(String command) throws Exception {
        JSch jsch = new JSch();
        jsch.setKnownHosts(knownHosts.toString());
        jsch.addIdentity(key.toString());
        Session s = jsch.getSession(USER, "127.0.0.1", port);
        s.setConfig("StrictHostKeyChecking", "yes");
        s.setConfig("PreferredAuthentications", "publickey");
        s.connect(10_000);
        try {
            // No command: a login shell, as "ssh pbxfence@san" would ask for.
            com.jcraft.jsch.Channel c = s.openChannel(command == null ? "shell" : "exec");
            if (command != null) {
                ((ChannelExec) c).setCommand(command);
            } else {
                // restrict refuses a pty; the shell request itself still reaches the forced command.
                ((com.jcraft.jsch.ChannelShell) c).setPty(false);
            }
            c.setInputStream(null);
            InputStream out = c.getInputStream();
            InputStream err = c.getExtInputStream();
            c.connect(10_000);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            byte[] buf = new byte[8192];
            while (System.nanoTime() < deadline) {
                while (out.available() > 0) {
                    o.write(buf, 0, out.read(buf));
                }
                while (err.available() > 0) {
                    e.write(buf, 0, err.read(buf));
                }
                if (c.isClosed() && out.available() == 0 && err.available() == 0) {
                    break;
                }
                Thread.sleep(10);
            }
            assertTrue(c.isClosed(), "remote command did not end: " + command);
            return new Remote(
                    c.getExitStatus(), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            s.disconnect();
        }
    }

    static String tgtadm(String... args) {
        StringBuilder sb = new StringBuilder("'tgtadm' '-C' '" + san.controlPort + "' '--lld' 'iscsi'");
        for (String a : args) {
            sb.append(" '").append(a).append('\'');
        }
        return sb.toString();
    }

    static String targetBlock(int tid) {
        String show = san.tgtadm("--op", "show", "--mode", "target");
        int from = show.indexOf("Target " + tid + ":");
        int to = show.indexOf("\nTarget ", from + 1);
        return to < 0 ? show.substring(from) : show.substring(from, to + 1);
    }

    static CommandResult inquiry(String initiator) {
        return Exec.run("iscsi-inq", "-i", initiator, san.lunUrl());
    }

    static void assertRefused(Remote r, String what) {
        assertEquals(77, r.exit(), what + ": " + r);
        assertTrue((r.err() + r.out()).contains("pbx-san-fence: refused: "), what + ": " + r);
        assertFalse(r.out().contains("uid="), what + " ran something: " + r.out());
    }

    @Test
    void theFencingKeyIsRefusedEverythingButFencing() throws Exception {
        String before = san.tgtadm("--op", "show", "--mode", "target");
        List<String> hostile = List.of(
                "id",
                "'id'",
                "sh -c id",
                "tgtadm --lld iscsi --mode target --op show; id",
                "'tgtadm' '-C' '" + san.controlPort + "' '--lld' 'iscsi' '--mode' 'target' '--op' 'show' && id",
                "$(id)",
                "`id`",
                tgtadm("--mode", "logicalunit", "--op", "delete", "--tid", "1", "--lun", "1"),
                tgtadm("--mode", "target", "--op", "delete", "--tid", "1"),
                tgtadm("--mode", "target", "--op", "delete", "--force", "--tid", "2"),
                tgtadm("--mode", "target", "--op", "unbind", "--tid", "2", "--initiator-name", NODE1),
                tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-name", STRANGER),
                tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL"),
                tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-name", NODE1, "--force"),
                tgtadm(
                        "--mode",
                        "target",
                        "--op",
                        "update",
                        "--tid",
                        "1",
                        "--name",
                        "MaxRecvDataSegmentLength",
                        "--value",
                        "1"),
                tgtadm("--mode", "account", "--op", "new", "--user", "x", "--password", "y"),
                tgtadm("--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "9", "-b", "/etc/shadow"),
                tgtadm("--mode", "conn", "--op", "delete", "--tid", "2", "--sid", "1", "--cid", "0"),
                "'tgtadm' '-C' '1' '--lld' 'iscsi' '--mode' 'target' '--op' 'show'",
                "'tgtadm' '--lld' 'iscsi' '--mode' 'target' '--op' 'show'",
                "'/usr/sbin/tgtadm' '-C' '" + san.controlPort + "' '--lld' 'iscsi' '--mode' 'target' '--op' 'show'",
                "'targetcli' '/backstores/fileio' 'delete' 'x'",
                "'cat' '/etc/shadow'",
                "scp -t /tmp",
                "internal-sftp",
                "'tgtadm' 'unbalanced");
        for (String command : hostile) {
            assertRefused(ssh(command), command);
        }
        // No command at all (a login shell) is refused too.
        assertRefused(ssh(null), "interactive login");
        assertRefused(ssh(""), "empty command");
        assertEquals(before, san.tgtadm("--op", "show", "--mode", "target"), "the SAN was changed");

        // Every refusal was logged with its reason.
        String logged = Files.readString(log);
        assertTrue(logged.contains("refused: not a tgtadm command: 'id'"), logged);
        assertTrue(logged.contains("refused: not one of the fencing operations of tgtadm"), logged);
        assertTrue(logged.contains("refused: initiator '" + STRANGER + "' is not one of the configured"), logged);
        assertTrue(logged.contains("refused: tid '2' is not target " + TgtdSan.TARGET), logged);
        assertTrue(logged.contains("refused: no command given (interactive login)"), logged);
    }

    @Test
    void theListShowsOnlyTheConfiguredTarget() throws Exception {
        Remote show = ssh(tgtadm("--mode", "target", "--op", "show"));
        assertEquals(0, show.exit(), show.toString());
        assertTrue(show.out().startsWith("Target 1: " + TgtdSan.TARGET + "\n"), show.out());
        assertTrue(show.out().contains("        " + NODE2 + "\n"), show.out());
        assertFalse(show.out().contains(OTHER_TARGET), "another target is visible: " + show.out());
        assertFalse(show.out().contains("other.img"), show.out());
    }

    @Test
    void fencePbxSanFencesAndUnfencesThroughTheRestrictedAccount() throws Exception {
        String params = "ipaddr=127.0.0.1\nipport=" + port + "\nlogin=" + USER + "\n"
                + "identity_file=" + key + "\nknown_hosts=" + knownHosts + "\n"
                + "san_type=tgtadm\ntarget=" + TgtdSan.TARGET + "\ntgt_control_port=" + san.controlPort + "\n"
                + "initiator_map=pbx1=" + NODE1 + ";pbx2=" + NODE2 + "\n"
                + "login_timeout=5\nshell_timeout=10\npower_timeout=20\n";
        assertTrue(inquiry(NODE2).ok(), "the victim reaches the LUN before the fence");
        // A live session of the victim, which the fence must end.
        Process session = new ProcessBuilder("iscsi-perf", "-i", NODE2, san.lunUrl())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("perf.log").toFile())
                .start();
        try {
            for (int i = 0; i < 100 && !targetBlock(1).contains("Initiator: " + NODE2); i++) {
                Thread.sleep(50);
            }
            assertTrue(targetBlock(1).contains("Initiator: " + NODE2), targetBlock(1));

            FenceIT.Run off = FenceIT.agent("action=off\nplug=pbx2\n" + params);
            assertEquals(0, off.rc(), off.err());
            assertEquals("Success: Powered OFF\n", off.out());
            assertFalse(targetBlock(1).contains(NODE2), "victim still in the ACL or a session:\n" + targetBlock(1));
            CommandResult refused = inquiry(NODE2);
            assertTrue(FenceIT.refused(refused), "tgtd still admits the fenced initiator: " + refused);
            assertTrue(inquiry(NODE1).ok(), "the survivor lost access");
            assertTrue(targetBlock(2).contains("        " + NODE1 + "\n"), "the other target was touched");

            FenceIT.Run status = FenceIT.agent("action=status\nplug=pbx2\n" + params);
            assertEquals(2, status.rc(), status.err());
            FenceIT.Run on = FenceIT.agent("action=on\nplug=pbx2\n" + params);
            assertEquals(0, on.rc(), on.err());
            assertTrue(inquiry(NODE2).ok(), "unfenced initiator still refused");
        } finally {
            session.destroyForcibly();
            session.waitFor(5, TimeUnit.SECONDS);
        }
        String logged = Files.readString(log);
        assertTrue(logged.contains("allowed: unbind " + NODE2), logged);
        assertTrue(logged.contains("allowed: bind " + NODE2), logged);
        assertTrue(logged.contains("pbxfence from 127.0.0.1"), logged);
    }
}
