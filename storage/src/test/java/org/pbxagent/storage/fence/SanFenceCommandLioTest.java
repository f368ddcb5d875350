package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * pbx-san-fence with backend = lio. LIO cannot run here (no configfs), so its configfs is a directory tree of the
 * same layout and targetcli a stand-in that makes the same ACL change in it; the command runs as sshd would start
 * it (SSH_ORIGINAL_COMMAND), fed by the real {@link TargetcliBackend} through the argv quoting SSH uses. What is
 * proven: the backend's exact commands pass and work, and everything beside them is refused.
 */
class SanFenceCommandLioTest {

    static final String TARGET = "iqn.2003-01.org.linux-iscsi.san:sn.pbxshared";
    static final String NODE1 = "iqn.2026-11.org.pbxagent:pbx1";
    static final String NODE2 = "iqn.2026-11.org.pbxagent:pbx2";
    static final ProcessCommandRunner RUNNER = new ProcessCommandRunner();

    @TempDir
    Path dir;

    Path configfs;
    Path conf;
    Path calls;

    @BeforeEach
    void san() throws Exception {
        configfs = dir.resolve("configfs");
        Path tpg = Files.createDirectories(configfs.resolve(TARGET).resolve("tpgt_1"));
        Files.createDirectories(tpg.resolve("attrib"));
        Files.writeString(tpg.resolve("attrib/generate_node_acls"), "0\n");
        for (String n : List.of(NODE1, NODE2, "iqn.2026-11.org.pbxagent:backup")) {
            Files.createDirectories(tpg.resolve("acls").resolve(n));
            Files.writeString(tpg.resolve("acls").resolve(n).resolve("info"), "InitiatorName: " + n + "\n");
        }
        Files.createDirectories(configfs.resolve("iqn.2003-01.org.linux-iscsi.san:sn.other/tpgt_1/acls/" + NODE1));
        calls = dir.resolve("targetcli.calls");
        Path targetcli = Files.writeString(
                dir.resolve("targetcli"),
                String.join(
                        "\n",
                        "#!/bin/sh",
                        "echo \"$*\" >> '" + calls + "'",
                        "[ \"$1\" = saveconfig ] && exit 0",
                        "t=${1#/iscsi/}; t=${t%%/*}",
                        "case \"$2\" in",
                        "  delete) rm -r '" + configfs + "'/\"$t\"/tpgt_1/acls/\"$3\" ;;",
                        "  create) mkdir '" + configfs + "'/\"$t\"/tpgt_1/acls/\"$3\" ;;",
                        "esac",
                        ""));
        Files.setPosixFilePermissions(targetcli, PosixFilePermissions.fromString("rwxr-xr-x"));
        conf = Files.writeString(
                dir.resolve("pbx-san-fence.conf"),
                String.join(
                        "\n",
                        "# test SAN",
                        "backend = lio",
                        "target = " + TARGET,
                        "initiators = " + NODE1 + "," + NODE2,
                        "tpg = 1",
                        "targetcli = " + targetcli,
                        "configfs = " + configfs,
                        "log-file = " + dir.resolve("fence.log"),
                        ""));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** The command as sshd starts it for the forced key, with {@code commandLine} as the PBX sent it. */
    CommandResult command(String commandLine) {
        List<String> argv = new ArrayList<>(List.of(
                "env",
                "-i",
                "SSH_ORIGINAL_COMMAND=" + commandLine,
                "SSH_CLIENT=192.0.2.21 50000 22",
                "SUDO_USER=pbxfence",
                Path.of("san", "pbx-san-fence").toAbsolutePath().toString(),
                conf.toString()));
        return RUNNER.run(new BoundedCommand(argv, Duration.ofSeconds(20), new byte[0], 1 << 20));
    }

    /** A SanShell that is that forced command: what TargetcliBackend sends reaches it quoted, as over SSH. */
    SanShell forced() {
        return new SanShell() {
            @Override
            public CommandResult run(List<String> argv, Duration timeout) {
                return command(RemoteArgv.quote(argv));
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void targetcliBackendRevokesAndRestoresThroughTheCommand() throws Exception {
        TargetcliBackend lio = new TargetcliBackend(forced(), IscsiName.parse(TARGET), 1, Duration.ofSeconds(20));
        IscsiName victim = IscsiName.parse(NODE2);
        lio.checkTarget();
        assertTrue(lio.access(victim).inAcl());
        lio.revoke(victim);
        assertFalse(Files.exists(configfs.resolve(TARGET).resolve("tpgt_1/acls").resolve(NODE2)));
        assertFalse(lio.access(victim).inAcl());
        lio.restore(victim);
        assertTrue(lio.access(victim).inAcl());
        assertEquals(
                List.of(
                        "/iscsi/" + TARGET + "/tpg1/acls delete " + NODE2,
                        "saveconfig",
                        "/iscsi/" + TARGET + "/tpg1/acls create " + NODE2,
                        "saveconfig"),
                Files.readAllLines(calls));
        String log = Files.readString(dir.resolve("fence.log"));
        assertTrue(log.contains("pbxfence from 192.0.2.21: allowed: delete acl " + NODE2), log);
    }

    @Test
    void everythingElseIsRefusedAndChangesNothing() throws Exception {
        String tpg = configfs + "/" + TARGET + "/tpgt_1";
        List<List<String>> hostile = List.of(
                List.of("id"),
                List.of("targetcli", "/iscsi/" + TARGET + "/tpg1/acls", "delete", "iqn.2026-11.org.pbxagent:backup"),
                List.of("targetcli", "/iscsi/iqn.2003-01.org.linux-iscsi.san:sn.other/tpg1/acls", "delete", NODE1),
                List.of("targetcli", "/iscsi/" + TARGET + "/tpg2/acls", "create", NODE1),
                List.of("targetcli", "/backstores/block", "delete", "pbxshared"),
                List.of("targetcli", "clearconfig", "confirm=True"),
                List.of("targetcli", "/iscsi/" + TARGET + "/tpg1", "set", "attribute", "generate_node_acls=1"),
                List.of("targetcli", "/iscsi/" + TARGET + "/tpg1/acls", "delete", NODE2, "extra"),
                List.of("cat", "/etc/shadow"),
                List.of("cat", tpg + "/acls/../../../../../../etc/shadow"),
                List.of("cat", tpg + "/acls/" + NODE2 + "/../../../../../../../etc/shadow/info"),
                List.of("ls", "-1", "/"),
                List.of("ls", "-1", tpg + "/../../"),
                List.of("tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show"));
        for (List<String> argv : hostile) {
            CommandResult r = command(RemoteArgv.quote(argv));
            assertEquals(77, r.exitCode(), argv + ": " + r.stdout() + r.stderr());
            assertTrue(r.stderr().startsWith("pbx-san-fence: refused: "), argv + ": " + r.stderr());
            assertFalse(r.stdout().contains("root:"), argv + " read a secret file");
        }
        assertFalse(Files.exists(calls), "targetcli ran: " + (Files.exists(calls) ? Files.readString(calls) : ""));
        assertTrue(Files.isDirectory(configfs.resolve(TARGET).resolve("tpgt_1/acls/iqn.2026-11.org.pbxagent:backup")));
        String log = Files.readString(dir.resolve("fence.log"), StandardCharsets.UTF_8);
        assertEquals(
                hostile.size(),
                log.lines().filter(l -> l.contains(": refused: ")).count(),
                log);
    }

    @Test
    void aConfigurationOthersCouldChangeIsRefused() throws Exception {
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-rw-rw-"));
        CommandResult r = command(RemoteArgv.quote(List.of("targetcli", "saveconfig")));
        assertEquals(78, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("must be owned by root and writable by root only"), r.stderr());
        assertFalse(Files.exists(calls));
    }
}
