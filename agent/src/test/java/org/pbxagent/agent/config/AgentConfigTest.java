package org.pbxagent.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.fastagi.server.CidrBlock;

class AgentConfigTest {
    private static final String TOKEN = "s3cret-admin-token-0123456789";
    private static final String DB_PASSWORD = "db-pass-Zq9!";

    private static Map<String, String> valid() {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "pbx1");
        m.put("db.url", "jdbc:mysql://127.0.0.1:3306/pbx");
        m.put("db.user", "agent");
        m.put("db.password", DB_PASSWORD);
        m.put("http.admin-token", TOKEN);
        return m;
    }

    @Test
    void validConfigurationGivesTypedSectionsWithDefaults() {
        Map<String, String> m = valid();
        m.put("fastagi.shutdown-grace-ms", "2500");
        m.put("http.bind", "0.0.0.0");
        m.put("http.allow-plaintext", "true");
        AgentConfig c = ConfigSections.from(m);
        assertEquals("pbx1", c.node().id());
        assertEquals(4573, c.fastagi().port());
        assertEquals(2500, c.fastagi().shutdownGrace().toMillis());
        assertEquals("0.0.0.0", c.http().bind());
        assertEquals(8, c.db().poolMaxSize());
        assertTrue(c.http().adminToken().matches(TOKEN));
        assertFalse(c.http().adminToken().matches(TOKEN + "x"));
        assertFalse(c.db().embedded());
    }

    @Test
    void everyProblemIsReportedAtOnceNamingItsKey() {
        Map<String, String> m = valid();
        m.remove("node.id");
        m.put("fastagi.port", "70000");
        m.put("http.bind", "localhost:80");
        m.put("db.pool.min-idle", "50");
        m.put("scheduler.enabled", "perhaps");
        m.put("routing.refresh-milliseconds", "5000");
        m.put("foo.bar", "1");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.from(m));
        List<String> p = e.problems();
        assertEquals(7, p.size(), p.toString());
        assertTrue(has(p, "node.id: required"), p.toString());
        assertTrue(has(p, "fastagi.port: expected an integer 0..65535, got '70000'"), p.toString());
        assertTrue(has(p, "http.bind: expected an IP address"), p.toString());
        assertTrue(has(p, "db.pool.min-idle: expected at most db.pool.max-size"), p.toString());
        assertTrue(has(p, "scheduler.enabled: expected true or false, got 'perhaps'"), p.toString());
        assertTrue(has(p, "routing.refresh-milliseconds: unknown key"), p.toString());
        assertTrue(has(p, "foo.bar: unknown key"), p.toString());
    }

    @Test
    void secretsNeverAppearInToStringOrProblems() {
        Map<String, String> m = valid();
        AgentConfig c = ConfigSections.from(m);
        String dump = c.toString();
        assertFalse(dump.contains(TOKEN), dump);
        assertFalse(dump.contains(DB_PASSWORD), dump);
        assertTrue(dump.contains("admin-token=******"), dump);

        m.put("http.admin-token", "short-Tok3n");
        m.put("db.url", "jdbc:mysql://h/db?user=x&password=" + DB_PASSWORD);
        m.put("db.pool.max-size", "0");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.from(m));
        assertFalse(e.getMessage().contains("short-Tok3n"), e.getMessage());
        assertTrue(
                e.getMessage().contains("http.admin-token: expected a secret of at least 16 characters"),
                e.getMessage());
        AgentConfig withPasswordInUrl = ConfigSections.from(Map.of(
                "node.id",
                "pbx1",
                "db.url",
                "jdbc:mysql://h/db?password=" + DB_PASSWORD,
                "db.user",
                "u",
                "http.admin-token",
                TOKEN));
        assertFalse(withPasswordInUrl.toString().contains(DB_PASSWORD), withPasswordInUrl.toString());
    }

    @Test
    void secretCanComeFromAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, TOKEN + "\n");
        Map<String, String> m = valid();
        m.put("http.admin-token", "file:" + f);
        assertTrue(ConfigSections.from(m).http().adminToken().matches(TOKEN));
        m.put("http.admin-token", "file:" + dir.resolve("missing"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.from(m));
        assertTrue(
                has(e.problems(), "http.admin-token: cannot read secret file"),
                e.problems().toString());
    }

    @Test
    void fileWithDuplicateKeyIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.properties");
        Files.writeString(f, "node.id=pbx1\nnode.id=pbx2\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.load(f));
        assertTrue(
                has(e.problems(), "node.id: given more than once"), e.problems().toString());
        ConfigException missing = assertThrows(ConfigException.class, () -> ConfigSections.load(dir.resolve("none")));
        assertTrue(missing.getMessage().contains("does not exist"));
    }

    @Test
    void embeddedDbNeedsNoUser() {
        AgentConfig c = ConfigSections.from(Map.of("node.id", "demo", "db.url", "embedded", "http.admin-token", TOKEN));
        assertTrue(c.db().embedded());
        assertEquals("root", c.db().user());
    }

    @Test
    void embeddedDataDirUnderTheTempDirectoryIsRefusedSinceItWouldBeEmptiedAtEveryStart() {
        String tmp = System.getProperty("java.io.tmpdir");
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ConfigSections.from(Map.of(
                        "node.id",
                        "demo",
                        "db.url",
                        "embedded",
                        "http.admin-token",
                        TOKEN,
                        "db.embedded.data-dir",
                        tmp + "/pbx-agent-db")));
        assertTrue(
                has(e.problems(), "db.embedded.data-dir: '" + tmp + "/pbx-agent-db' is under the temporary directory"),
                e.problems().toString());
        AgentConfig ok = ConfigSections.from(Map.of(
                "node.id",
                "demo",
                "db.url",
                "embedded",
                "http.admin-token",
                TOKEN,
                "db.embedded.data-dir",
                "/var/lib/pbx-agent/mariadb"));
        assertEquals(Path.of("/var/lib/pbx-agent/mariadb"), ok.db().embeddedDataDir());
    }

    @Test
    void cidrAndUrlListsAreTyped() throws Exception {
        ConfigSource s = ConfigSource.of(Map.of(
                "x.nets",
                "127.0.0.0/8, 10.1.2.3, ::1/128, 300.1.1.1/8",
                "x.urls",
                "http://127.0.0.1:5060/RPC, ftp://a/b"));
        ConfigSource x = s.section("x");
        List<CidrBlock> nets = x.cidrList("nets", "");
        assertEquals(3, nets.size());
        assertTrue(nets.get(0).contains(InetAddress.getByName("127.9.9.9")));
        assertFalse(nets.get(1).contains(InetAddress.getByName("10.1.2.4")));
        assertEquals(1, x.urlList("urls", "", "http", "https").size());
        assertEquals(2, s.problems().size(), s.problems().toString());
        assertTrue(s.problems().get(0).startsWith("x.nets: "), s.problems().toString());
        assertTrue(s.problems().get(1).startsWith("x.urls: "), s.problems().toString());
    }

    @Test
    void bindAddressesAreIpLiteralsCheckedWithoutDns() {
        Map<String, String> m = valid();
        m.put("http.bind", "::1");
        m.put("fastagi.bind", "0.0.0.0");
        AgentConfig ok = ConfigSections.from(m);
        assertEquals("::1", ok.http().bind());
        m.put("http.bind", "abc:def");
        m.put("fastagi.bind", "127.0.0.256");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.from(m));
        assertTrue(
                has(e.problems(), "http.bind: expected an IP address"),
                e.problems().toString());
        assertTrue(
                has(e.problems(), "fastagi.bind: expected an IP address"),
                e.problems().toString());
    }

    private static boolean has(List<String> problems, String start) {
        return problems.stream().anyMatch(p -> p.startsWith(start));
    }
}
