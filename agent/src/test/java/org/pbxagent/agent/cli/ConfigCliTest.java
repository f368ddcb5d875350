package org.pbxagent.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.config.AgentConfig;
import picocli.CommandLine;

/** The configuration as an operator meets it: through the pbx-agent command line. */
class ConfigCliTest {
    private static final Path SAMPLE = Path.of("..", "etc", "pbx-agent.properties");
    private static final String TOKEN = "tok-7f3a9c1e5b2d8f4a6c0e";

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {}

    private static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path write(String text) throws Exception {
        Path f = Files.createTempFile(dir, "agent", ".properties");
        Files.writeString(f, text);
        return f;
    }

    private static final String VALID = "node.id=pbx1\ndb.url=jdbc:mysql://127.0.0.1:3306/pbx\ndb.user=agent\n"
            + "db.password=Secr3t-DB-pass\nhttp.admin-token=" + TOKEN + "\n";

    @Test
    void validFileIsAcceptedAndSecretsAreMasked() throws Exception {
        Result r = cli("check-config", "--config", write(VALID).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("admin-token=******"), r.out());
        assertFalse(r.out().contains(TOKEN), r.out());
        assertFalse(r.out().contains("Secr3t-DB-pass"), r.out());
    }

    @Test
    void unknownKeyIsRefusedByName() throws Exception {
        Result r = cli(
                "check-config", "--config", write(VALID + "fastagi.prot=4573\n").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("fastagi.prot: unknown key"), r.err());
    }

    @Test
    void badValueIsRefusedWithWhatIsExpected() throws Exception {
        Result r = cli(
                "check-config", "--config", write(VALID + "fastagi.port=45o3\n").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("fastagi.port: expected an integer 0..65535, got '45o3'"), r.err());
    }

    @Test
    void missingRequiredValuesAreAllNamedAtOnce() throws Exception {
        Result r = cli(
                "check-config", "--config", write("db.url=jdbc:mysql://h/pbx\n").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("node.id: required"), r.err());
        assertTrue(r.err().contains("db.user: required"), r.err());
        assertTrue(r.err().contains("http.admin-token: required"), r.err());
    }

    @Test
    void runRefusesABadFileBeforeStartingAnything() throws Exception {
        Result r = cli("run", "--config", write(VALID + "http.port=-1\n").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("http.port: expected an integer 0..65535, got '-1'"), r.err());
        Result missing = cli("run", "--config", dir.resolve("nope.properties").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void statusWithoutAgentSaysSoWithExitCode3() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = cli("status", "--url", "http://127.0.0.1:" + port, "--timeout-ms", "1000");
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("no agent answering"), r.err());
    }

    @Test
    void statusAgainstSomethingElseIsNotTakenForAnAgent() throws Exception {
        com.sun.net.httpserver.HttpServer other =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 1);
        other.createContext("/", ex -> {
            byte[] b = "<html>not an agent</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        other.start();
        try {
            Result r = cli(
                    "status", "--url", "http://127.0.0.1:" + other.getAddress().getPort(), "--timeout-ms", "2000");
            assertEquals(3, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("not with pbx-agent's JSON"), r.err());
        } finally {
            other.stop(0);
        }
    }

    /** The shipped sample must be valid and must document every key the agent knows. */
    @Test
    void sampleFileIsValidAndListsEveryKey() throws Exception {
        Map<String, String> sample = AgentConfig.readFile(SAMPLE);
        Path tokenFile = dir.resolve("admin.token");
        Files.writeString(tokenFile, TOKEN + "\n");
        Path dbPassword = dir.resolve("db.password");
        Files.writeString(dbPassword, "pw\n");
        String text = Files.readString(SAMPLE)
                .replace("file:/etc/pbx-agent/admin.token", "file:" + tokenFile)
                .replace("file:/etc/pbx-agent/db.password", "file:" + dbPassword);
        Result r = cli("check-config", "--config", write(text).toString());
        assertEquals(0, r.code(), r.err());
        // Every section printed as "section: key=value ...", with the keys' own names.
        for (String line : r.out().lines().skip(1).toList()) {
            assertTrue(
                    line.matches("[a-z]+: [a-z][a-z.-]*=.*") && !line.contains("Settings[") && !line.contains("[I@"),
                    line);
        }
        assertTrue(r.out().contains("ami: host=127.0.0.1 port=5038 username=pbx-agent secret=****** "), r.out());
        assertTrue(r.out().contains("load: interval=1000ms max-calls=200 cpu-full-percent=90 "), r.out());
        // The daemon's own sections always; another capability's section once the sample documents any of its keys.
        java.util.Set<String> own = java.util.Set.of("node", "db", "routing", "fastagi", "http", "scheduler");
        java.util.List<org.pbxagent.agent.config.SectionType<?>> checked = ConfigSections.ALL.stream()
                .filter(t -> own.contains(t.prefix())
                        || sample.keySet().stream().anyMatch(k -> k.startsWith(t.prefix() + ".")))
                .toList();
        SortedSet<String> known = AgentConfig.knownKeys(checked);
        SortedSet<String> undocumented = new TreeSet<>(known);
        undocumented.removeAll(sample.keySet());
        assertTrue(undocumented.isEmpty(), "keys missing from etc/pbx-agent.properties: " + undocumented);
    }
}
