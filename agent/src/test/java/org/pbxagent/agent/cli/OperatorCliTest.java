package org.pbxagent.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.http.AdminHttpServer;
import org.pbxagent.agent.module.AgentState;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.StatusBoard;
import picocli.CommandLine;

/**
 * drain, undrain and status as an operator runs them on a node: against the agent's real HTTP server, with a drain
 * control that refuses the way the balancer's does for the last active PBX of the set.
 */
class OperatorCliTest {
    private static final String TOKEN = "tok-3c9e1a7f5b2d8e4a6c0f";

    @TempDir
    Path dir;

    private AdminHttpServer server;
    private Path configFile;
    private Path tokenFile;
    private final LastPbx control = new LastPbx();

    /** Refuses a drain that is not forced while {@code last}; an automatic drain can hold the node drained. */
    private static final class LastPbx implements DrainSwitch {
        volatile boolean last = true;
        volatile String operator;
        volatile String automatic;
        volatile String refused = "";
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized DrainState drain(String reason, boolean force) {
            calls.add("drain " + reason + " force=" + force);
            if (last && !force) {
                refused = "drain (" + reason + ") refused: the last active PBX of set 1";
            } else {
                operator = reason;
                refused = "";
            }
            return state();
        }

        @Override
        public synchronized DrainState undrain() {
            calls.add("undrain");
            operator = null;
            return state();
        }

        @Override
        public synchronized DrainState state() {
            String reason = operator != null ? operator : automatic != null ? automatic : "";
            return new DrainState(!reason.isEmpty(), reason, Instant.now(), Map.of("refused", refused));
        }
    }

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

    @BeforeEach
    void start() throws Exception {
        tokenFile = dir.resolve("admin.token");
        Files.writeString(tokenFile, TOKEN + "\n");
        AgentConfig config = ConfigSections.from(Map.of(
                "node.id",
                "pbx1",
                "db.url",
                "jdbc:mysql://127.0.0.1:1/pbx",
                "db.user",
                "pbxagent",
                "http.port",
                "0",
                "http.admin-token",
                "file:" + tokenFile));
        StatusBoard board = new StatusBoard("pbx1", "test", Clock.systemUTC());
        board.state(AgentState.RUNNING);
        board.section("drain", control::state);
        server = new AdminHttpServer(config.http(), board, () -> "", () -> control);
        server.start();
        // The operator's file names secrets this user cannot read: only http.* may be looked at.
        configFile = dir.resolve("pbx-agent.properties");
        Files.writeString(
                configFile,
                "node.id = pbx1\ndb.url = jdbc:mysql://db:3306/pbx\ndb.user = pbxagent\n"
                        + "db.password = file:" + dir.resolve("no-such-db.password") + "\n"
                        + "ami.secret = file:" + dir.resolve("no-such-ami.secret") + "\n"
                        + "http.port = " + server.port() + "\nhttp.admin-token = file:" + tokenFile + "\n");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void aRefusedDrainExitsNonZeroAndSaysWhyAndHttpAnswers409() throws Exception {
        Result refused = cli("drain", "--config", configFile.toString(), "--reason", "kernel update");
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("refused") && refused.err().contains("last active PBX"), refused.err());
        assertEquals(List.of("drain kernel update force=false"), control.calls);

        // curl -f sees it too.
        HttpResponse<String> http = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/drain?reason=x"))
                                .timeout(Duration.ofSeconds(5))
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(409, http.statusCode(), http.body());
        assertTrue(http.body().contains("\"drained\":false"), http.body());

        Result forced = cli("drain", "--config", configFile.toString(), "--reason", "kernel update", "--force");
        assertEquals(0, forced.code(), forced.out() + forced.err());
        assertEquals("drained: kernel update", forced.out().strip());

        Result back = cli("undrain", "--config", configFile.toString());
        assertEquals(0, back.code(), back.out() + back.err());
        assertEquals("in rotation", back.out().strip());
    }

    @Test
    void anUndrainWhileAnAutomaticDrainHoldsExitsNonZero() {
        control.automatic = "asterisk unavailable";
        Result r = cli("undrain", "--url", "http://127.0.0.1:" + server.port(), "--token-file", tokenFile.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("still drained (asterisk unavailable)"), r.err());
    }

    @Test
    void aWrongOrMissingTokenIsABadUsageAndChangesNothing() throws Exception {
        Path wrong = dir.resolve("wrong.token");
        Files.writeString(wrong, TOKEN + "x\n");
        Result r =
                cli("drain", "--url", "http://127.0.0.1:" + server.port(), "--token-file", wrong.toString(), "--force");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("did not accept the admin token"), r.err());

        Result missing = cli(
                "drain",
                "--url",
                "http://127.0.0.1:" + server.port(),
                "--token-file",
                dir.resolve("none").toString(),
                "--force");
        assertEquals(2, missing.code(), missing.out() + missing.err());
        assertTrue(missing.err().contains("cannot read the admin token"), missing.err());
        assertEquals(List.of(), control.calls);
        assertFalse(r.err().contains(TOKEN), "the token is never printed");
    }

    @Test
    void statusWithConfigNeedsOnlyTheHttpKeys() {
        Result r = cli("status", "--config", configFile.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("node pbx1: ready"), r.out());
    }

    @Test
    void theStatusDeadlineCountsOnTheWireForEachAnswer() throws Exception {
        // Each answer takes 55 % of the deadline: in time, though both together take longer than one deadline
        // (the old deadline ran from before the HTTP client had loaded, and over both requests).
        com.sun.net.httpserver.HttpServer slow =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 4);
        slow.createContext("/", ex -> {
            try {
                Thread.sleep(1100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String body = ex.getRequestURI().getPath().equals("/health")
                    ? "{\"ready\":true,\"failures\":[],\"notes\":[]}"
                    : "{\"node\":{\"id\":\"pbx2\",\"state\":\"running\"}}";
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        slow.start();
        try {
            Result r = cli(
                    "status", "--url", "http://127.0.0.1:" + slow.getAddress().getPort(), "--timeout-ms", "2000");
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().startsWith("node pbx2: ready"), r.out());
        } finally {
            slow.stop(0);
        }
    }

    @Test
    void drainWithoutAnAgentIsExit3() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = cli("drain", "--url", "http://127.0.0.1:" + port, "--token-file", tokenFile.toString());
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("no agent answering"), r.err());
    }
}
