package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.testing.Exec;
import org.pbxagent.storage.testing.FreePort;
import org.pbxagent.storage.testing.SshdSan;
import org.pbxagent.storage.testing.TgtdSan;

/**
 * fence_pbx_san against a real tgtd reached over a real sshd. The proof is the SAN's own behaviour: after off, libiscsi
 * logging in as the victim's initiator is refused and the victim's live session is gone; after on, it logs in again.
 */
class FenceIT {

    static final String NODE1 = "iqn.2026-11.org.pbxagent:pbx1";
    static final String NODE2 = "iqn.2026-11.org.pbxagent:pbx2";

    @TempDir
    static Path dir;

    static TgtdSan san;
    static SshdSan sshd;
    static final ProcessCommandRunner RUNNER = new ProcessCommandRunner();

    @BeforeAll
    static void start() throws Exception {
        san = TgtdSan.start(Files.createDirectories(dir.resolve("san")), NODE1, NODE2);
        sshd = SshdSan.start(Files.createDirectories(dir.resolve("ssh")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
        if (san != null) {
            san.close();
        }
    }

    @AfterEach
    void unfenceBoth() {
        // Each test starts from both nodes admitted and nothing else, whatever the previous one did.
        TgtTarget t =
                TgtTarget.parse(san.tgtadm("--op", "show", "--mode", "target")).get(TgtdSan.TARGET);
        for (String entry : t.acl()) {
            if (AddressAcl.isName(entry) && !List.of(NODE1, NODE2).contains(entry)) {
                san.tgtadm("--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-name", entry);
            } else if (!AddressAcl.isName(entry)) {
                san.tgtadm("--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-address", entry);
            }
        }
        for (String n : List.of(NODE1, NODE2)) {
            if (!san.tgtadm("--op", "show", "--mode", "target").contains("        " + n + "\n")) {
                san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-name", n);
            }
        }
    }

    String params(String action, String plug) {
        return "action=" + action + "\n"
                + (plug == null ? "" : "plug=" + plug + "\n")
                + "ipaddr=127.0.0.1\nipport=" + sshd.port + "\nlogin=root\n"
                + "identity_file=" + sshd.identity + "\nknown_hosts=" + sshd.knownHosts + "\n"
                + "san_type=tgtadm\ntarget=" + TgtdSan.TARGET + "\ntgt_control_port=" + san.controlPort + "\n"
                + "initiator_map=pbx1=" + NODE1 + ";pbx2=" + NODE2 + "\n"
                // power_timeout bounds the whole action: generous, so a loaded machine's slow SSH does not end it.
                + "login_timeout=3\nshell_timeout=5\npower_timeout=20\n";
    }

    record Run(int rc, String out, String err) {}

    static Run agent(String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new FenceAgent(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[0], new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The shell fence agent as Pacemaker's fencer runs it: a process, parameters on stdin. */
    static Run script(String stdin, String... args) {
        List<String> argv = new java.util.ArrayList<>();
        argv.add("env");
        argv.add("PBX_AGENT_CLASSPATH=" + System.getProperty("java.class.path"));
        argv.add(Path.of("..", "ocf-scripts", "fence_pbx_san")
                .toAbsolutePath()
                .normalize()
                .toString());
        argv.addAll(List.of(args));
        CommandResult r = RUNNER.run(
                new BoundedCommand(argv, Duration.ofSeconds(60), stdin.getBytes(StandardCharsets.UTF_8), 1 << 20));
        return new Run(r.exitCode(), r.stdout(), r.stderr());
    }

    static CommandResult inquiry(String initiator) {
        return RUNNER.run(BoundedCommand.of(Duration.ofSeconds(15), "iscsi-inq", "-i", initiator, san.lunUrl()));
    }

    static boolean refused(CommandResult r) {
        return r.outcome() == CommandResult.Outcome.EXITED
                && r.exitCode() != 0
                && (r.stdout() + r.stderr()).contains("Login Failed");
    }

    @Test
    void offCutsTheVictimsLiveSessionAndRefusesItsLoginsAndOnLetsItBackIn() throws Exception {
        assertTrue(inquiry(NODE2).ok(), "victim must reach the LUN before the fence");
        // A live session of the victim, reading the LUN continuously, as a PBX with the file system mounted would.
        Process session = new ProcessBuilder("iscsi-perf", "-i", NODE2, san.lunUrl())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("perf.log").toFile())
                .start();
        try {
            awaitSession(NODE2, true);

            Run off = agent(params("off", "pbx2"));
            assertEquals(0, off.rc(), off.err());
            assertEquals("Success: Powered OFF\n", off.out());

            String show = san.tgtadm("--op", "show", "--mode", "target");
            assertFalse(show.contains("Initiator: " + NODE2), "victim's session survived the fence:\n" + show);
            assertFalse(show.contains("        " + NODE2 + "\n"), "victim still in the ACL:\n" + show);
            assertTrue(refused(inquiry(NODE2)), "tgtd still admits the fenced initiator");
            assertTrue(inquiry(NODE1).ok(), "the survivor lost access");

            Run status = agent(params("status", "pbx2"));
            assertEquals(2, status.rc(), status.err());
            assertEquals("Status: OFF\n", status.out());

            Run again = agent(params("off", "pbx2"));
            assertEquals(0, again.rc(), again.err());
            assertEquals("Success: Already OFF\n", again.out());

            Run on = agent(params("on", "pbx2"));
            assertEquals(0, on.rc(), on.err());
            assertEquals("Success: Powered ON\n", on.out());
            assertTrue(inquiry(NODE2).ok(), "unfenced initiator still refused");
            Run statusOn = agent(params("status", "pbx2"));
            assertEquals(0, statusOn.rc(), statusOn.err());
            assertEquals("Status: ON\n", statusOn.out());
        } finally {
            session.destroyForcibly();
            session.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void awaitSession(String initiator, boolean present) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            boolean has =
                    san.tgtadm("--op", "show", "--mode", "conn", "--tid", "1").contains("Initiator: " + initiator);
            if (has == present) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("session of " + initiator + (present ? " never appeared" : " never went away"));
    }

    @Test
    void theShellAgentTakesStdinAsPacemakerPassesItAndOptionsAsWell() {
        Run off = script(params("off", NODE2) + "nodename=pbx2\npcmk_host_list=pbx1 pbx2\n");
        assertEquals(0, off.rc(), off.err());
        assertEquals("Success: Powered OFF\n", off.out());
        assertTrue(refused(inquiry(NODE2)));

        Run status = script(
                "",
                "-o",
                "status",
                "-n",
                "pbx2",
                "-a",
                "127.0.0.1",
                "-u",
                Integer.toString(sshd.port),
                "-l",
                "root",
                "-k",
                sshd.identity.toString(),
                "--known-hosts=" + sshd.knownHosts,
                "--san-type=tgtadm",
                "--target=" + TgtdSan.TARGET,
                "--tgt-control-port=" + san.controlPort,
                "--initiator-map=pbx1=" + NODE1 + ";pbx2=" + NODE2);
        assertEquals(2, status.rc(), status.err());
        assertEquals("Status: OFF\n", status.out());

        Run list = script(params("list", null));
        assertEquals(0, list.rc(), list.err());
        assertEquals("pbx1," + NODE1 + "\npbx2," + NODE2 + "\n", list.out());

        Run monitor = script(params("monitor", null));
        assertEquals(0, monitor.rc(), monitor.err());
    }

    @Test
    void twoConcurrentFencesOfTheSameVictimBothSucceedAndLeaveItOff() throws Exception {
        CompletableFuture<Run> a = CompletableFuture.supplyAsync(() -> script(params("off", "pbx2")));
        CompletableFuture<Run> b = CompletableFuture.supplyAsync(() -> script(params("off", "pbx2")));
        CompletableFuture<Run> c = CompletableFuture.supplyAsync(() -> agent(params("off", "pbx2")));
        for (Run r : List.of(a.get(60, TimeUnit.SECONDS), b.get(60, TimeUnit.SECONDS), c.get(60, TimeUnit.SECONDS))) {
            assertEquals(0, r.rc(), r.err());
            assertTrue(r.out().startsWith("Success: "), r.out());
        }
        assertTrue(refused(inquiry(NODE2)));
        assertTrue(inquiry(NODE1).ok());
    }

    @Test
    void anUnknownHostKeyIsRefusedAndNothingChanges() throws Exception {
        Path otherKey = dir.resolve("other_host_key");
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey.toString());
        String[] pub = Files.readString(Path.of(otherKey + ".pub")).strip().split(" ");
        Path wrongKnownHosts = dir.resolve("wrong_known_hosts");
        Files.writeString(wrongKnownHosts, "[127.0.0.1]:" + sshd.port + " " + pub[0] + " " + pub[1] + "\n");
        Run changed = agent(
                params("off", "pbx2").replace("known_hosts=" + sshd.knownHosts, "known_hosts=" + wrongKnownHosts));
        assertEquals(3, changed.rc(), changed.err());
        assertTrue(
                changed.err().contains("differs from known_hosts")
                        || changed.err().contains("not in known_hosts"),
                changed.err());

        Path emptyKnownHosts = Files.writeString(dir.resolve("empty_known_hosts"), "");
        Run unknown = agent(
                params("off", "pbx2").replace("known_hosts=" + sshd.knownHosts, "known_hosts=" + emptyKnownHosts));
        assertEquals(3, unknown.rc(), unknown.err());
        assertTrue(unknown.err().contains("not in known_hosts"), unknown.err());
        assertTrue(inquiry(NODE2).ok(), "a refused connection must change nothing");
        assertEquals(0, Files.readString(emptyKnownHosts).length(), "the unknown key was learnt");
    }

    @Test
    void aWrongSshKeyIsLoginDenied() throws Exception {
        Path stranger = dir.resolve("stranger_key");
        Exec.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger.toString());
        Run r = agent(params("off", "pbx2").replace("identity_file=" + sshd.identity, "identity_file=" + stranger));
        assertEquals(3, r.rc(), r.err());
        assertTrue(r.err().contains("refused"), r.err());
        assertTrue(inquiry(NODE2).ok());
    }

    @Test
    void anUnreachableSanFailsFastAndASilentOneTimesOut() throws Exception {
        int closed = FreePort.pick();
        long t0 = System.nanoTime();
        Run refused = agent(params("off", "pbx2").replace("ipport=" + sshd.port, "ipport=" + closed));
        assertEquals(4, refused.rc(), refused.err());
        assertTrue(refused.err().contains("cannot reach"), refused.err());

        // A SAN that accepts TCP and then says nothing: the login timeout (3 s here) must end the wait.
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            long t1 = System.nanoTime();
            Run slow = agent(params("off", "pbx2").replace("ipport=" + sshd.port, "ipport=" + silent.getLocalPort()));
            long ms = (System.nanoTime() - t1) / 1_000_000;
            assertEquals(5, slow.rc(), slow.err());
            assertTrue(slow.err().contains("timed out"), slow.err());
            assertTrue(ms < 15_000, "silent SAN held the fence for " + ms + " ms");
        }
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 30_000);
    }

    @Test
    void aSanWhoseTargetDaemonStopsAnsweringTimesOutWithExit5() throws Exception {
        // tgtd frozen: tgtadm on the SAN connects to its socket and waits for an answer that does not come.
        Exec.ok("kill", "-STOP", Long.toString(san.pid()));
        try {
            long t0 = System.nanoTime();
            Run r = agent(params("off", "pbx2").replace("shell_timeout=5", "shell_timeout=1"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(5, r.rc(), r.err());
            assertTrue(r.err().contains("did not finish within 1000 ms"), r.err());
            assertTrue(ms < 8_000, "a frozen SAN held the fence for " + ms + " ms");
        } finally {
            Exec.ok("kill", "-CONT", Long.toString(san.pid()));
        }
        assertTrue(inquiry(NODE2).ok(), "nothing was changed");
    }

    @Test
    void aMissingTargetOrAnAllowAllRuleIsAnErrorNotASuccess() {
        Run missing = agent(
                params("off", "pbx2").replace("target=" + TgtdSan.TARGET, "target=iqn.2026-11.org.pbxagent:nosuch"));
        assertEquals(1, missing.rc(), missing.err());
        assertTrue(missing.err().contains("does not exist"), missing.err());

        san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "ALL");
        try {
            Run all = agent(params("off", "pbx2"));
            assertEquals(1, all.rc(), all.err());
            assertTrue(all.err().contains("ALL"), all.err());
        } finally {
            san.tgtadm("--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-address", "ALL");
        }
    }

    @Test
    void badParametersAreNamedAndRebootIsRefused() {
        Run noPlug = agent(params("off", null));
        assertEquals(1, noPlug.rc());
        assertTrue(noPlug.err().contains("plug"), noPlug.err());
        Run badPlug = agent(params("off", "pbx9; rm -rf /"));
        assertEquals(1, badPlug.rc());
        assertTrue(badPlug.err().contains("initiator_map"), badPlug.err());
        Run reboot = agent(params("reboot", "pbx2"));
        assertEquals(1, reboot.rc());
        assertTrue(reboot.err().contains("no reboot"), reboot.err());
        Run valid = agent(params("validate-all", "pbx2"));
        assertEquals(0, valid.rc(), valid.err());
        Run badPort = agent(params("validate-all", "pbx2").replace("ipport=" + sshd.port, "ipport=99999"));
        assertEquals(1, badPort.rc());
        assertTrue(badPort.err().contains("ipport"), badPort.err());
    }

    /** A live session of the victim, reading the LUN continuously, as a PBX with the file system mounted would. */
    private Process liveSession(String initiator) throws Exception {
        Process p = new ProcessBuilder("iscsi-perf", "-i", initiator, san.lunUrl())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        awaitSession(initiator, true);
        return p;
    }

    @Test
    void anAddressRuleThatAdmitsTheVictimIsRefusedAndStatusNeverSaysOff() throws Exception {
        // tgt admits an initiator whose name OR address matches: with this rule the victim gets in by address.
        for (String rule : List.of("127.0.0.1", "127.0.0.0/8")) {
            san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", rule);
            try {
                Run off = agent(params("off", "pbx2"));
                assertEquals(1, off.rc(), rule + ": " + off.out() + off.err());
                assertTrue(off.err().contains("ACL entry " + rule), off.err());
                assertFalse(off.out().contains("OFF"), off.out());
                Run status = agent(params("status", "pbx2"));
                assertEquals(0, status.rc(), status.err());
                assertEquals("Status: ON\n", status.out());
                Run monitor = agent(params("monitor", null));
                assertEquals(1, monitor.rc(), monitor.err());
                assertTrue(monitor.err().contains(rule), monitor.err());
            } finally {
                san.tgtadm("--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-address", rule);
            }
        }
        assertTrue(inquiry(NODE2).ok(), "a refused fence must change nothing");
    }

    @Test
    void anAddressRuleThatCannotCoverTheVictimsSessionDoesNotStopTheFence() throws Exception {
        san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "10.9.9.0/24");
        san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-address", "[fe80::]/64");
        Process session = liveSession(NODE2);
        try {
            // The victim's address is known from its session (127.0.0.1): neither rule covers it.
            Run off = agent(params("off", "pbx2"));
            assertEquals(0, off.rc(), off.err());
            assertEquals("Success: Powered OFF\n", off.out());
            assertTrue(refused(inquiry(NODE2)), "tgtd still admits the fenced initiator");
        } finally {
            session.destroyForcibly();
            session.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUpperCaseAclEntryIsFencedAsTgtStoresIt() throws Exception {
        String upper = "iqn.2026-11.org.pbxagent:PBX2";
        san.tgtadm("--op", "unbind", "--mode", "target", "--tid", "1", "--initiator-name", NODE2);
        san.tgtadm("--op", "bind", "--mode", "target", "--tid", "1", "--initiator-name", upper);
        assertTrue(inquiry(upper).ok(), "tgt admits the name exactly as bound");
        Process session = liveSession(upper);
        try {
            Run off = agent(params("off", "pbx2"));
            assertEquals(0, off.rc(), off.err());
            assertEquals("Success: Powered OFF\n", off.out());
            String show = san.tgtadm("--op", "show", "--mode", "target");
            assertFalse(show.contains(upper), "upper-case entry or session survived:\n" + show);
            assertTrue(refused(inquiry(upper)), "tgtd still admits " + upper);
            Run status = agent(params("status", "pbx2"));
            assertEquals(2, status.rc(), status.err());
        } finally {
            session.destroyForcibly();
            session.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPlugWhoseInitiatorTheTargetDoesNotKnowIsNeverAlreadyOff() {
        // A typo in initiator_map: pbx2's real initiator stays admitted, so "Already OFF" would be a lie.
        Run typo = agent(params("off", "pbx2").replace("pbx2=" + NODE2, "pbx2=iqn.2026-11.org.pbxagent:pbx-2"));
        assertEquals(1, typo.rc(), typo.out() + typo.err());
        assertTrue(typo.err().contains(NODE2) && typo.err().contains("initiator_map"), typo.err());
        Run status = agent(params("status", "pbx2").replace("pbx2=" + NODE2, "pbx2=iqn.2026-11.org.pbxagent:pbx-2"));
        assertEquals(1, status.rc(), status.out() + status.err());

        // A raw initiator name that neither the map nor the target knows.
        Run unknown = agent(params("off", "iqn.2026-11.org.pbxagent:pbx9"));
        assertEquals(1, unknown.rc(), unknown.out() + unknown.err());
        assertTrue(unknown.err().contains("not in initiator_map"), unknown.err());
        assertTrue(inquiry(NODE2).ok(), "nothing was changed");

        // A raw name the target lists is fenced; a mapped node already off stays "Already OFF".
        Run raw = agent(params("off", NODE2));
        assertEquals(0, raw.rc(), raw.err());
        Run again = agent(params("off", "pbx2"));
        assertEquals(0, again.rc(), again.err());
        assertEquals("Success: Already OFF\n", again.out());
    }

    @Test
    void powerTimeoutBoundsTheWholeActionOnASlowSan() throws Exception {
        // Each command may take 5 s, the action 2 s: a SAN that stops answering ends the action at 2 s.
        Exec.ok("kill", "-STOP", Long.toString(san.pid()));
        try {
            long t0 = System.nanoTime();
            Run r = agent(params("off", "pbx2").replace("power_timeout=20", "power_timeout=2"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(5, r.rc(), r.err());
            assertTrue(r.err().contains("power_timeout of 2000 ms"), r.err());
            assertTrue(ms < 4_000, "a 2 s power_timeout held the fence for " + ms + " ms");
        } finally {
            Exec.ok("kill", "-CONT", Long.toString(san.pid()));
        }
        assertTrue(inquiry(NODE2).ok(), "nothing was changed");
    }
}
