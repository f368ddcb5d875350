package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.iscsi.IscsiName;

/** The tgtadm output parser on output recorded from tgtd, and the targetcli back-end's argv and refusals. */
class SanBackendTest {

    @Test
    void tgtadmShowOutputGivesAclAndSessions() throws Exception {
        String show;
        try (InputStream in = getClass().getResourceAsStream("/tgtadm/show-target-with-session.txt")) {
            show = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        TgtTarget t = TgtTarget.parse(show).get("iqn.2026-11.org.pbxagent:shared");
        assertEquals(1, t.tid());
        assertEquals(List.of("iqn.2026-11.org.pbxagent:node1", "iqn.2026-11.org.pbxagent:node2"), t.acl());
        assertEquals(1, t.nexuses().size());
        assertEquals(2, t.nexuses().get(0).sid());
        assertEquals(List.of(0), t.nexuses().get(0).connections());
        assertEquals(1, t.sessionsOf("iqn.2026-11.org.pbxagent:node2"));
        assertEquals(0, t.sessionsOf("iqn.2026-11.org.pbxagent:node1"));
        assertTrue(t.aclGrants("IQN.2026-11.org.pbxagent:NODE1"));
    }

    /** A SAN answering from an in-memory LIO configfs: ACL directories and the demo-mode attribute. */
    static final class FakeLio implements SanShell {
        final Set<String> acls = new HashSet<>();
        String generateNodeAcls = "0";
        final List<List<String>> calls = new ArrayList<>();

        @Override
        public CommandResult run(List<String> argv, Duration timeout) {
            calls.add(argv);
            String out = "";
            int rc = 0;
            if (argv.get(0).equals("cat") && argv.get(1).endsWith("/attrib/generate_node_acls")) {
                out = generateNodeAcls + "\n";
            } else if (argv.get(0).equals("ls")) {
                out = String.join("\n", acls) + "\n";
            } else if (argv.get(0).equals("cat") && argv.get(1).endsWith("/info")) {
                out = "No active iSCSI Session for Initiator Endpoint: x\n";
            } else if (argv.get(0).equals("targetcli")
                    && argv.size() == 4
                    && argv.get(2).equals("delete")) {
                rc = acls.remove(argv.get(3)) ? 0 : 1;
            } else if (argv.get(0).equals("targetcli")
                    && argv.size() == 4
                    && argv.get(2).equals("create")) {
                acls.add(argv.get(3));
            }
            return new CommandResult(argv, CommandResult.Outcome.EXITED, rc, out, "", false, Duration.ZERO);
        }

        @Override
        public void close() {}
    }

    static final IscsiName TARGET = IscsiName.parse("iqn.2003-01.org.linux-iscsi.san:sn.pbx");
    static final IscsiName VICTIM = IscsiName.parse("iqn.2026-11.org.pbxagent:pbx2");

    @Test
    void targetcliOffDeletesTheNodeAclSavesAndVerifies() throws Exception {
        FakeLio lio = new FakeLio();
        lio.acls.add(VICTIM.value());
        lio.acls.add("iqn.2026-11.org.pbxagent:pbx1");
        SanFence fence =
                new SanFence(new TargetcliBackend(lio, TARGET, 1, Duration.ofSeconds(5)), Duration.ofSeconds(2));
        assertEquals(SanFence.Result.DONE, fence.off(VICTIM));
        assertFalse(lio.acls.contains(VICTIM.value()));
        assertTrue(
                lio.calls.contains(List.of("targetcli", "/iscsi/" + TARGET + "/tpg1/acls", "delete", VICTIM.value())));
        assertTrue(lio.calls.contains(List.of("targetcli", "saveconfig")));
        assertEquals(SanFence.Result.ALREADY, fence.off(VICTIM));
        assertEquals(SanFence.Result.DONE, fence.on(VICTIM));
        assertTrue(
                lio.calls.contains(List.of("targetcli", "/iscsi/" + TARGET + "/tpg1/acls", "create", VICTIM.value())));
        assertTrue(fence.isOn(VICTIM));
    }

    @Test
    void targetcliInDemoModeIsRefusedBecauseAnAclCannotKeepANodeOut() {
        FakeLio lio = new FakeLio();
        lio.generateNodeAcls = "1";
        lio.acls.add(VICTIM.value());
        SanFence fence =
                new SanFence(new TargetcliBackend(lio, TARGET, 1, Duration.ofSeconds(5)), Duration.ofSeconds(2));
        FenceException e = assertThrows(FenceException.class, () -> fence.off(VICTIM));
        assertTrue(e.getMessage().contains("demo mode"), e.getMessage());
    }

    @Test
    void remoteArgvIsQuotedForTheRemoteShell() {
        assertEquals(
                "'tgtadm' '--op' 'it'\\''s; rm -rf /'", RemoteArgv.quote(List.of("tgtadm", "--op", "it's; rm -rf /")));
        assertThrows(IllegalArgumentException.class, () -> RemoteArgv.quote(List.of("a\nb")));
    }

    @Test
    void initiatorMapAcceptsNodeEqualsIqnPairs() {
        assertEquals(
                List.of("pbx1", "pbx2"),
                List.copyOf(FenceAgent.FenceSettings.initiatorMap(
                                "pbx1=iqn.2026-11.org.pbxagent:pbx1; pbx2=iqn.2026-11.org.pbxagent:pbx2")
                        .keySet()));
        assertThrows(IllegalArgumentException.class, () -> FenceAgent.FenceSettings.initiatorMap("pbx1:iqn.x"));
    }
}
