package org.pbxagent.storage.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.testing.ScriptedRunner;

/**
 * iscsiadm cannot log in on this kernel (no iscsi_tcp): this layer is tested through the argv it builds and through
 * the output formats open-iscsi documents (session_info.c), replayed by a scripted runner.
 */
class IscsiInitiatorTest {

    static final String TARGET = "iqn.2026-11.org.pbxagent:shared";

    static IscsiSettings settings(String user, String secret, String... portals) {
        return new IscsiSettings(
                IscsiName.parse(TARGET),
                List.of(portals),
                1,
                IscsiName.parse("iqn.2026-11.org.pbxagent:pbx1"),
                user,
                secret,
                Duration.ofSeconds(5),
                Duration.ofMillis(300));
    }

    static String resource(String name) throws IOException {
        try (InputStream in = IscsiInitiatorTest.class.getResourceAsStream("/iscsiadm/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sessionTableReadsStatePortalInitiatorAndDisks() throws Exception {
        List<IscsiSession> s = IscsiSessionTable.parse(resource("session-P3-two-portals.txt"));
        assertEquals(2, s.size());
        assertEquals(TARGET, s.get(0).target());
        assertEquals("10.0.10.5:3260", s.get(0).portalAddress());
        assertEquals(1, s.get(0).sid());
        assertEquals("iqn.2026-11.org.pbxagent:pbx1", s.get(0).initiator());
        assertTrue(s.get(0).loggedIn());
        assertEquals(List.of("sdb"), s.get(0).disks());
        assertEquals("FAILED", s.get(1).sessionState());
        assertFalse(s.get(1).loggedIn());
        assertEquals(List.of("sdc"), s.get(1).disks());

        List<IscsiSession> p1 = IscsiSessionTable.parse(resource("session-P1.txt"));
        assertEquals(List.of(1, 7), p1.stream().map(IscsiSession::sid).toList());
        assertEquals("iqn.2026-11.org.example:other", p1.get(1).target());
    }

    @Test
    void aFailedSessionIsReportedEvenThoughAnotherPortalIsLoggedIn() throws Exception {
        String out = resource("session-P3-two-portals.txt");
        ScriptedRunner r = new ScriptedRunner(argv -> ScriptedRunner.exit(argv, 0, out, ""));
        IscsiInitiator i = new IscsiInitiator(settings(null, null, "10.0.10.5:3260", "10.0.20.5:3260"), r);
        String problem = i.sessionProblem();
        assertEquals("iSCSI session 2 on 10.0.20.5:3260 is FAILED (connection TRANSPORT WAIT)", problem);
        assertEquals(List.of("iscsiadm", "-m", "session", "-P", "3"), r.calls.get(0));

        IscsiInitiator onlyFirst = new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), r);
        assertNull(onlyFirst.sessionProblem());
    }

    @Test
    void noSessionsIsExitCode21AndSaysSo() {
        ScriptedRunner r =
                new ScriptedRunner(argv -> ScriptedRunner.exit(argv, 21, "", "iscsiadm: No active sessions.\n"));
        IscsiInitiator i = new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), r);
        assertEquals("no iSCSI session to " + TARGET + " on 10.0.10.5:3260", i.sessionProblem());
    }

    @Test
    void loginDiscoversSetsChapAndLogsInOnEveryPortal() throws Exception {
        Path db = Files.createTempDirectory("iscsi-nodes");
        ScriptedRunner r = new ScriptedRunner(argv -> {
            if (argv.contains("discovery")) {
                discovered(db, argv.get(argv.size() - 1));
                return ScriptedRunner.exit(argv, 0, argv.get(argv.size() - 1) + ",1 " + TARGET + "\n", "");
            }
            if (argv.contains("--login") && argv.contains("10.0.20.5:3260")) {
                return ScriptedRunner.exit(
                        argv, 15, "", "iscsiadm: default: 1 session requested, but 1 already present.\n");
            }
            return ScriptedRunner.exit(argv, 0, "", "");
        });
        new IscsiInitiator(settings("pbx", "s3cret-chap-42", "10.0.10.5:3260", "10.0.20.5:3260"), r, db).login();
        assertEquals(
                List.of("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", "10.0.10.5:3260"), r.calls.get(0));
        assertEquals(
                List.of(
                        "iscsiadm",
                        "-m",
                        "node",
                        "-T",
                        TARGET,
                        "-p",
                        "10.0.10.5:3260",
                        "-o",
                        "update",
                        "-n",
                        "node.session.auth.authmethod",
                        "-v",
                        "CHAP"),
                r.calls.get(1));
        assertEquals(
                List.of(
                        "iscsiadm",
                        "-m",
                        "node",
                        "-T",
                        TARGET,
                        "-p",
                        "10.0.10.5:3260",
                        "-o",
                        "update",
                        "-n",
                        "node.session.auth.username",
                        "-v",
                        "pbx"),
                r.calls.get(2));
        assertEquals(
                List.of("iscsiadm", "-m", "node", "-T", TARGET, "-p", "10.0.10.5:3260", "--login"), r.calls.get(3));
        assertEquals(8, r.calls.size(), "discovery, 2 CHAP updates and login on each of two portals");
        for (List<String> argv : r.calls) {
            assertFalse(String.join(" ", argv).contains("s3cret-chap-42"), "the secret on an argv: " + argv);
        }
        for (String portal : List.of("10.0.10.5,3260,1", "10.0.20.5,3260,1")) {
            Path record = db.resolve(TARGET).resolve(portal).resolve("default");
            List<String> lines = Files.readAllLines(record);
            assertEquals(
                    1,
                    lines.stream()
                            .filter(l -> l.startsWith("node.session.auth.password"))
                            .count(),
                    portal);
            assertEquals("node.session.auth.password = s3cret-chap-42", lines.get(lines.size() - 2), portal);
            assertEquals("# END RECORD", lines.get(lines.size() - 1));
            assertTrue(lines.contains("node.conn[0].address = " + portal.substring(0, portal.indexOf(','))), portal);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record)), portal);
        }
        // A second login replaces the secret, never adds a second line.
        new IscsiInitiator(settings("pbx", "n3w-secret-42", "10.0.10.5:3260"), r, db).login();
        List<String> again = Files.readAllLines(db.resolve(TARGET).resolve("10.0.10.5,3260,1/default"));
        assertEquals(
                List.of("node.session.auth.password = n3w-secret-42"),
                again.stream()
                        .filter(l -> l.startsWith("node.session.auth.password"))
                        .toList());
    }

    /** What sendtargets discovery leaves in the node database: one record per portal (open-iscsi 2.1 layout). */
    static void discovered(Path db, String portal) {
        try {
            String host = portal.substring(0, portal.lastIndexOf(':'));
            Path dir = Files.createDirectories(db.resolve(TARGET).resolve(host + ",3260,1"));
            Path record = dir.resolve("default");
            if (!Files.exists(record)) {
                Files.writeString(
                        record,
                        String.join(
                                "\n",
                                "# BEGIN RECORD 2.1.8",
                                "node.name = " + TARGET,
                                "node.tpgt = 1",
                                "node.startup = manual",
                                "node.session.auth.authmethod = None",
                                "node.session.auth.password = old",
                                "node.conn[0].address = " + host,
                                "node.conn[0].port = 3260",
                                "# END RECORD",
                                ""));
                Files.setPosixFilePermissions(record, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aMissingNodeRecordIsAClearErrorWithoutTheSecret() throws Exception {
        Path db = Files.createTempDirectory("iscsi-nodes");
        ScriptedRunner r = new ScriptedRunner(argv -> argv.contains("discovery")
                ? ScriptedRunner.exit(argv, 0, "10.0.10.5:3260,1 " + TARGET + "\n", "")
                : ScriptedRunner.exit(argv, 0, "", ""));
        StorageException e = assertThrows(
                StorageException.class,
                () -> new IscsiInitiator(settings("pbx", "s3cret-chap-42", "10.0.10.5:3260"), r, db).login());
        assertTrue(e.getMessage().contains("no iSCSI node record of " + TARGET + " on 10.0.10.5:3260"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-chap-42"));
        assertTrue(r.calls.stream().noneMatch(a -> a.contains("--login")), "no login without the secret in place");
    }

    @Test
    void wrongChapIsNamedAndTheSecretIsNotRepeated() throws Exception {
        Path db = Files.createTempDirectory("iscsi-nodes");
        ScriptedRunner r = new ScriptedRunner(argv -> {
            if (argv.contains("discovery")) {
                discovered(db, "10.0.10.5:3260");
                return ScriptedRunner.exit(argv, 0, "10.0.10.5:3260,1 " + TARGET + "\n", "");
            }
            if (argv.contains("--login")) {
                return ScriptedRunner.exit(
                        argv,
                        24,
                        "",
                        "iscsiadm: Could not login to [iface: default, target: " + TARGET
                                + ", portal: 10.0.10.5,3260].\niscsiadm: initiator reported error (24 - iSCSI login failed due to"
                                + " authorization failure)\n");
            }
            return ScriptedRunner.exit(argv, 0, "", "");
        });
        StorageException e = assertThrows(
                StorageException.class,
                () -> new IscsiInitiator(settings("pbx", "wrong-secret", "10.0.10.5:3260"), r, db).login());
        assertTrue(e.getMessage().contains("CHAP authentication failed"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-secret"));
        assertFalse(settings("pbx", "wrong-secret", "10.0.10.5:3260").toString().contains("wrong-secret"));
    }

    @Test
    void anUnreachableOrSlowSanIsATimeoutNotAHang() {
        ScriptedRunner slow = new ScriptedRunner(ScriptedRunner::timedOut);
        StorageException e = assertThrows(
                StorageException.class, () -> new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), slow).login());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());

        ScriptedRunner refused = new ScriptedRunner(argv -> ScriptedRunner.exit(
                argv, 4, "", "iscsiadm: cannot make connection to 10.0.10.5: Connection refused\n"));
        StorageException e2 = assertThrows(
                StorageException.class,
                () -> new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), refused).login());
        assertTrue(e2.getMessage().contains("SAN unreachable"), e2.getMessage());
    }

    @Test
    void aPortalThatDoesNotOfferTheTargetIsAConfigurationError() {
        ScriptedRunner r = new ScriptedRunner(
                argv -> ScriptedRunner.exit(argv, 0, "10.0.10.5:3260,1 iqn.2026-11.org.example:other\n", ""));
        StorageException e = assertThrows(
                StorageException.class, () -> new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), r).login());
        assertEquals(StorageException.Kind.NOT_CONFIGURED, e.kind());
    }

    @Test
    void aMissingIscsiadmIsNotInstalled() {
        ScriptedRunner r = new ScriptedRunner(
                argv -> new CommandResult(argv, CommandResult.Outcome.NOT_INSTALLED, -1, "", "", false, Duration.ZERO));
        StorageException e = assertThrows(
                StorageException.class, () -> new IscsiInitiator(settings(null, null, "10.0.10.5:3260"), r).login());
        assertEquals(StorageException.Kind.NOT_INSTALLED, e.kind());
    }

    @Test
    void aDeviceThatNeverAppearsFailsAfterTheWait() {
        IscsiInitiator i = new IscsiInitiator(
                settings(null, null, "127.0.0.1:3260"),
                new ScriptedRunner(argv -> ScriptedRunner.exit(argv, 0, "", "")));
        long t0 = System.nanoTime();
        StorageException e = assertThrows(StorageException.class, i::awaitDevice);
        assertTrue(e.getMessage().contains("did not appear within 300 ms"), e.getMessage());
        assertTrue(e.getMessage().contains("/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-" + TARGET + "-lun-1"));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000);
    }

    @Test
    void badNamesNeverReachACommandLine() {
        assertThrows(IllegalArgumentException.class, () -> IscsiName.parse("iqn.2026-11.org.x:a;rm -rf /"));
        assertThrows(IllegalArgumentException.class, () -> IscsiName.parse("-o update"));
        assertThrows(
                IllegalArgumentException.class,
                () -> new IscsiSettings(
                        IscsiName.parse(TARGET),
                        List.of("10.0.0.1:3260 -o"),
                        1,
                        null,
                        null,
                        null,
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(1)));
    }
}
