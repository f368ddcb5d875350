package org.pbxagent.storage.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pbxagent.storage.testing.ScriptedRunner;

/** The session parser on what open-iscsi 2.1.8 printed on a real kernel, in each state a fenced node goes through. */
class RecordedIscsiadmTest {

    static String recorded(String name) throws IOException {
        try (InputStream in = RecordedIscsiadmTest.class.getResourceAsStream("/kernel-lab/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static IscsiSession only(String name) throws IOException {
        List<IscsiSession> s = IscsiSessionTable.parse(recorded(name));
        assertEquals(1, s.size(), name + ": " + s);
        return s.get(0);
    }

    @Test
    void aLoggedInSessionWithItsDiskAtP3() throws Exception {
        IscsiSession s = only("session-P3-logged-in.txt");
        assertEquals("iqn.2026-12.lab.example:ocfs2lun", s.target(), "the \"(non-flash)\" suffix is not the name");
        assertEquals("10.0.2.2:3261", s.portalAddress());
        assertEquals(1, s.sid());
        assertEquals("iqn.2026-12.lab.example:nodea", s.initiator());
        assertTrue(s.loggedIn());
        assertEquals(List.of("sda"), s.disks());
    }

    @Test
    void theSameSessionAtP1() throws Exception {
        IscsiSession s = only("session-P1.txt");
        assertTrue(s.loggedIn());
        assertEquals("10.0.2.2:3261", s.portalAddress());
        assertEquals(List.of(), s.disks());
    }

    @Test
    void aSessionTheSanCutOffIsNotLoggedInAndKeepsItsBlockedDisk() throws Exception {
        IscsiSession failed = only("session-P3-failed.txt");
        assertEquals("FAILED", failed.sessionState());
        assertEquals("TRANSPORT WAIT", failed.connectionState());
        assertFalse(failed.loggedIn());
        assertEquals(List.of("sda"), failed.disks(), "\"Attached scsi disk sda\\t\\tState: blocked\"");
        IscsiSession free = only("session-P3-free.txt");
        assertEquals("FREE", free.sessionState());
        assertFalse(free.loggedIn());
    }

    @Test
    void aCutOffNodesMonitorNamesThePortalAndTheState() throws Exception {
        String out = recorded("session-P3-failed.txt");
        IscsiSettings settings = new IscsiSettings(
                IscsiName.parse("iqn.2026-12.lab.example:ocfs2lun"),
                List.of("10.0.2.2:3261"),
                1,
                null,
                null,
                null,
                Duration.ofSeconds(5),
                Duration.ofSeconds(5));
        IscsiInitiator initiator =
                new IscsiInitiator(settings, new ScriptedRunner(argv -> ScriptedRunner.exit(argv, 0, out, "")));
        assertEquals(
                "iSCSI session 1 on 10.0.2.2:3261 is FAILED (connection TRANSPORT WAIT)", initiator.sessionProblem());
    }
}
