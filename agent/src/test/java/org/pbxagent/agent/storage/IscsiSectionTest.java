package org.pbxagent.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.config.ConfigException;

/** The CHAP rule is storage's; the agent's reader must put each complaint under the key it is about. */
class IscsiSectionTest {
    private static final String SECRET = "chap-secret-0123";

    private static Map<String, String> config() {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "pbx1");
        m.put("db.url", "jdbc:mysql://127.0.0.1:3306/pbx");
        m.put("db.user", "agent");
        m.put("db.password", "db-pass-Zq9!");
        m.put("http.admin-token", "s3cret-admin-token-0123456789");
        m.put("iscsi.target", "iqn.2026-11.org.pbxagent:shared");
        m.put("iscsi.portals", "10.0.10.5:3260, 10.0.20.5:3260");
        return m;
    }

    private static List<String> problems(Map<String, String> m) {
        return assertThrows(ConfigException.class, () -> ConfigSections.from(m)).problems();
    }

    @Test
    void aSecretWithoutAUserIsNamedUnderChapUser() {
        Map<String, String> m = config();
        m.put("iscsi.chap-secret", SECRET);
        assertEquals(List.of("iscsi.chap-user: required when a CHAP secret is set"), problems(m));
    }

    @Test
    void aUserWithoutASecretIsNamedUnderChapSecret() {
        Map<String, String> m = config();
        m.put("iscsi.chap-user", "pbx1");
        assertEquals(List.of("iscsi.chap-secret: required when a CHAP user is set"), problems(m));
    }

    @Test
    void aShortSecretIsNamedWithoutBeingRepeated() {
        Map<String, String> m = config();
        m.put("iscsi.chap-user", "pbx1");
        m.put("iscsi.chap-secret", "short-1");
        List<String> p = problems(m);
        assertEquals(List.of("iscsi.chap-secret: expected a secret of at least 12 characters, got 7"), p);
        assertFalse(p.toString().contains("short-1"));
    }

    @Test
    void aFullPairReachesTheSettings() {
        Map<String, String> m = config();
        m.put("iscsi.chap-user", "pbx1");
        m.put("iscsi.chap-secret", SECRET);
        IscsiSection s = ConfigSections.from(m).section(IscsiSection.class);
        assertTrue(s.settings().chap());
        assertEquals(SECRET, s.settings().chapSecret());
        assertEquals(2, s.settings().portals().size());
    }
}
