package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tgtadm parser on what tgt printed before and after a node was cut off (two guests on a real kernel). */
class RecordedTgtadmTest {

    private static TgtTarget target(String name) throws Exception {
        try (InputStream in = RecordedTgtadmTest.class.getResourceAsStream("/kernel-lab/" + name)) {
            Map<String, TgtTarget> t = TgtTarget.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(1, t.size(), name + ": " + t);
            return t.values().iterator().next();
        }
    }

    @Test
    void bothNodesAdmittedWithOneSessionEach() throws Exception {
        TgtTarget t = target("tgtadm-show-two-sessions.txt");
        assertEquals(1, t.tid());
        assertEquals("iqn.2026-12.lab.example:ocfs2lun", t.name());
        assertEquals(List.of("iqn.2026-12.lab.example:nodea", "iqn.2026-12.lab.example:nodeb"), t.acl());
        assertEquals(
                List.of(1, 2), t.nexuses().stream().map(TgtTarget.Nexus::sid).toList());
        assertEquals("iqn.2026-12.lab.example:nodeb", t.nexuses().get(1).initiator(), "the alias is not the name");
        assertEquals(List.of(0), t.nexuses().get(1).connections());
    }

    @Test
    void afterTheRevokeNeitherTheAclEntryNorTheSessionOfTheVictimIsLeft() throws Exception {
        TgtTarget t = target("tgtadm-show-after-revoke.txt");
        assertEquals(List.of("iqn.2026-12.lab.example:nodea"), t.acl());
        assertEquals(
                List.of("iqn.2026-12.lab.example:nodea"),
                t.nexuses().stream().map(TgtTarget.Nexus::initiator).toList());
    }
}
