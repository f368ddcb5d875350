package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pbxagent.agent.balancer.RealParts.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.daemon.AgentProcess;
import org.pbxagent.agent.db.EmbeddedMariaDb;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;

/**
 * The issue's real-parts setup with the whole daemon: two {@code pbx-agent run} child JVMs (one per PBX), each
 * watching its own AMI peer (replaying Asterisk 20) and reporting to a real Kamailio running the shipped
 * kamailio.cfg, from its own PBX address; SIPp stand-ins answer the calls on 127.0.0.2 and 127.0.0.3. Drives the
 * operator's POST /drain and /undrain, an Asterisk shutdown (automatic drain and undrain), the HAProxy agent-check
 * port, and SIGTERM (drain before the stop, exit 0).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonBalancerIT {
    private static final String TOKEN = "balancer-it-token-5be0a3f1";
    private static final String PBX1 = "127.0.0.2";
    private static final String PBX2 = "127.0.0.3";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path dir;
    private static EmbeddedMariaDb db;
    private static KamailioProcess kamailio;
    /** The standby proxy of the pair: gets every push too, so it is ready when the floating IP moves. */
    private static KamailioProcess standby;

    private static Sipp.Uas uas1;
    private static Sipp.Uas uas2;
    private static AmiPeer ami1;
    private static AmiPeer ami2;
    private static AgentProcess agent1;
    private static AgentProcess agent2;
    private static int http1;
    private static int http2;
    private static int agentCheck2;
    private static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("daemon-balancer-it");
        db = EmbeddedMariaDb.start(0, null);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername("root");
        try (HikariDataSource ds = new HikariDataSource(c)) {
            RoutingSchema.migrate(ds);
            SampleRoutingData.load(ds);
        }
        int pbxPort = RealParts.freePort(PBX1, PBX2);
        uas1 = new Sipp.Uas(dir, PBX1, pbxPort);
        uas2 = new Sipp.Uas(dir, PBX2, pbxPort);
        uas1.start();
        uas2.start();
        kamailio = new KamailioProcess(
                Files.createDirectories(dir.resolve("kamailio")),
                RealParts.freePort("127.0.0.1"),
                RealParts.freePort("127.0.0.1"),
                List.of(uas1.uri(), uas2.uri()));
        kamailio.start();
        standby = new KamailioProcess(
                Files.createDirectories(dir.resolve("standby")),
                RealParts.freePort("127.0.0.1"),
                RealParts.freePort("127.0.0.1"),
                List.of(uas1.uri(), uas2.uri()));
        standby.start();
        ami1 = new AmiPeer("agent", "agentsecret").start();
        ami2 = new AmiPeer("agent", "agentsecret").start();
        http1 = AgentProcess.freePort();
        http2 = AgentProcess.freePort();
        agentCheck2 = AgentProcess.freePort();
        agent1 = startAgent("pbx1", PBX1, uas1.uri(), ami1.port(), http1, "haproxy.enabled = false");
        agent2 = startAgent(
                "pbx2", PBX2, uas2.uri(), ami2.port(), http2, "haproxy.enabled = true\nhaproxy.port = " + agentCheck2);
        awaitReady(agent1, http1);
        awaitReady(agent2, http2);
    }

    /**
     * Each test starts from the same state whatever the one before it left, so that one failure does not cascade
     * and any test runs alone: both Asterisks up with no calls and no stop under way, both agents running and
     * undrained, both PBXs in rotation in both Kamailios.
     */
    @BeforeEach
    void bothPbxsServing() throws Exception {
        for (AmiPeer a : List.of(ami1, ami2)) {
            if (a.shuttingDown()) {
                a.abortShutdown();
            }
            if (!a.listening()) {
                a.start();
            }
            a.setCallsQuietly(0);
        }
        if (!agent1.isAlive()) {
            agent1 = startAgent("pbx1", PBX1, uas1.uri(), ami1.port(), http1, "haproxy.enabled = false");
            awaitReady(agent1, http1);
        }
        for (int port : new int[] {http1, http2}) {
            // An operator drain a failed test left is lifted; 409 is an automatic drain, which ends by itself.
            HttpResponse<String> r = post(port, "/undrain", TOKEN);
            assertTrue(r.statusCode() == 200 || r.statusCode() == 409, "undrain before the test: " + r.body());
        }
        await("both PBXs in rotation in both Kamailios", 30_000, () -> inRotation(kamailio) && inRotation(standby));
    }

    private static boolean inRotation(KamailioProcess k) throws Exception {
        Map<String, String> flags = k.flags();
        return k.score(uas1.uri()) != null
                && k.score(uas2.uri()) != null
                && flags.get(uas1.uri()).startsWith("A")
                && flags.get(uas2.uri()).startsWith("A");
    }

    private static AgentProcess startAgent(
            String node, String address, String uri, int amiPort, int httpPort, String extra) throws Exception {
        Path work = Files.createDirectories(dir.resolve(node));
        Path config = work.resolve("pbx-agent.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "node.id = " + node,
                        "node.data-dir = " + work,
                        "db.url = " + db.jdbcUrl(),
                        "db.user = root",
                        "routing.snapshot-file = " + work.resolve("routing-snapshot.json"),
                        "fastagi.port = " + AgentProcess.freePort(),
                        "http.port = " + httpPort,
                        "http.admin-token = " + TOKEN,
                        "scheduler.cluster.enabled = false",
                        "ami.enabled = true",
                        "ami.host = 127.0.0.1",
                        "ami.port = " + amiPort,
                        "ami.username = agent",
                        "ami.secret = agentsecret",
                        "load.max-calls = 4",
                        "kamailio.rpc-urls = " + kamailio.rpcUrl() + ", " + standby.rpcUrl(),
                        "kamailio.node-uri = " + uri,
                        "kamailio.source-address = " + address,
                        extra,
                        ""));
        return AgentProcess.start(work, "run", "--config", config.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AgentProcess a : new AgentProcess[] {agent1, agent2}) {
            if (a != null) {
                a.close();
                // The agents' own account of drains and pushes, for a failure's report.
                a.stderr()
                        .lines()
                        .filter(l -> l.contains("balancer") || l.contains("rain"))
                        .forEach(System.out::println);
            }
        }
        for (AutoCloseable c : new AutoCloseable[] {ami1, ami2}) {
            if (c != null) {
                c.close();
            }
        }
        if (kamailio != null) {
            kamailio.close();
        }
        if (standby != null) {
            standby.close();
        }
        if (uas1 != null) {
            uas1.close();
        }
        if (uas2 != null) {
            uas2.close();
        }
        if (db != null) {
            db.close();
        }
        RealParts.deleteTree(dir);
    }

    @Test
    @Order(1)
    void bothDaemonsReportTheirAsteriskLoadToKamailio() throws Exception {
        // Until its AMI login an agent knows nothing of Asterisk and holds its PBX drained (unless it is the last).
        // Both in rotation with scores in both Kamailios: the baseline before each test waited for it.
        JsonNode status = status(http1).path("balancer");
        assertEquals(2, status.path("kamailio").size(), status.toString());
        JsonNode k = status.path("kamailio").get(0);
        assertEquals(kamailio.rpcUrl().toString(), k.path("url").asText(), status.toString());
        assertEquals("ok", k.path("last_result").asText(), status.toString());
        assertTrue(k.path("reachable").asBoolean(), status.toString());
        String metrics = get(http1, "/metrics").body();
        assertTrue(metrics.contains("pbxagent_kamailio_pushes_total{kamailio=\"" + kamailio.rpcUrl() + "\"}"), metrics);

        await("agent-check ready", 5000, () -> agentCheck(agentCheck2).matches("\\d{1,3}% ready"));
    }

    @Test
    @Order(2)
    void callsOnAsteriskMoveTheScoreInKamailio() throws Exception {
        // 4 calls of load.max-calls = 4: full, whatever the machine's CPU and memory.
        List<String> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(ami1.callUp());
        }
        long t0 = System.nanoTime();
        // The count first: a score of 100 alone could also come from the machine's own load.
        await(
                "4 calls counted",
                10_000,
                () -> status(http1).path("ami").path("active_calls").asInt() == 4);
        await(
                "PBX1 full in both Kamailios",
                10_000,
                () -> Integer.valueOf(100).equals(kamailio.score(uas1.uri()))
                        && Integer.valueOf(100).equals(standby.score(uas1.uri())));
        System.out.printf(
                "Calls on Asterisk to score 100 in both Kamailios: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        calls.forEach(ami1::hangup);
        // How far the score falls then depends on the machine's own CPU load (other builds): only the count is sure.
        await(
                "calls gone",
                10_000,
                () -> status(http1).path("ami").path("active_calls").asInt() == 0);
    }

    @Test
    @Order(3)
    void operatorDrainOverHttpKeepsNewCallsOffThePbxUntilUndrain() throws Exception {
        assertEquals(401, post(http1, "/drain?reason=maintenance", null).statusCode());
        HttpResponse<String> r = post(http1, "/drain?reason=maintenance", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(
                kamailio.flags().get(uas1.uri()).startsWith("D"),
                kamailio.flags().toString());
        assertTrue(standby.flags().get(uas1.uri()).startsWith("D"), "standby too: " + standby.flags());

        Sipp.CallerRun drained =
                Sipp.call(dir, "daemon-drained", RealParts.freePort("127.0.0.1"), kamailio.sipPort, 30, 20, 100);
        assertEquals(0, drained.exitCode(), drained.output());
        assertEquals(30, drained.answered());
        assertEquals(0, drained.answeredBy(PBX1));

        // Asterisk going down and up again does not undo the operator's drain.
        ami1.shutdown();
        Thread.sleep(1500);
        ami1.start();
        await(
                "asterisk 1 back",
                10_000,
                () -> status(http1).path("ami").path("available").asBoolean());
        Thread.sleep(1500);
        assertTrue(
                kamailio.flags().get(uas1.uri()).startsWith("D"),
                kamailio.flags().toString());

        r = post(http1, "/undrain", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(
                kamailio.flags().get(uas1.uri()).startsWith("A"),
                kamailio.flags().toString());
        // PBX2 full (4 calls of 4), so PBX1 gets calls whatever CPU share each agent happened to sample.
        List<String> busy = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            busy.add(ami2.callUp());
        }
        await("PBX2 full", 3000, () -> Integer.valueOf(100).equals(kamailio.score(uas2.uri())));
        Sipp.CallerRun back =
                Sipp.call(dir, "daemon-undrained", RealParts.freePort("127.0.0.1"), kamailio.sipPort, 30, 20, 100);
        busy.forEach(ami2::hangup);
        assertEquals(0, back.exitCode(), back.output());
        assertTrue(back.answeredBy(PBX1) > 0, "PBX1 takes calls again");
    }

    @Test
    @Order(4)
    void aGracefulStopDrainsInEveryKamailioFromItsFirstMoment() throws Exception {
        ami2.setCallsQuietly(2);
        long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            // core stop gracefully with two calls up: Asterisk refuses new calls at once, Event: Shutdown waits.
            ami2.beginGracefulStop();
            await(
                    "PBX2 drained in both Kamailios while its Asterisk stops",
                    15_000,
                    () -> kamailio.flags().get(uas2.uri()).startsWith("D")
                            && standby.flags().get(uas2.uri()).startsWith("D"));
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(100, kamailio.score(uas2.uri()));
            assertTrue(ami2.shuttingDown() && ami2.liveCalls() == 2, "drained before any Shutdown event");
            if (i < ms.length - 1) {
                ami2.abortShutdown(); // core abort shutdown: back in rotation for the next sample
                await(
                        "PBX2 back in rotation after the aborted stop",
                        15_000,
                        () -> kamailio.flags().get(uas2.uri()).startsWith("A")
                                && standby.flags().get(uas2.uri()).startsWith("A"));
            }
        }
        System.out.println("FIGURE core stop gracefully -> drained in both Kamailios (ms, 5 stops): "
                + java.util.Arrays.toString(ms) + ", max "
                + java.util.Arrays.stream(ms).max().getAsLong());
        ami2.setCallsQuietly(0); // the calls end; the stop completes
        await("PBX2's Asterisk gone", 15_000, () -> !ami2.listening());
        ami2.start();
        await(
                "PBX2 back in rotation",
                15_000,
                () -> kamailio.flags().get(uas2.uri()).startsWith("A"));
    }

    @Test
    @Order(5)
    void asteriskShutdownDrainsAutomaticallyAndItsReturnUndrains() throws Exception {
        ami2.shutdown();
        await(
                "PBX2 drained after its Asterisk shut down",
                5000,
                () -> kamailio.flags().get(uas2.uri()).startsWith("D"));
        String line = agentCheck(agentCheck2);
        assertTrue(line.startsWith("down#"), line);
        assertEquals(100, kamailio.score(uas2.uri()));

        ami2.start();
        await(
                "PBX2 back in rotation",
                15_000,
                () -> kamailio.flags().get(uas2.uri()).startsWith("A"));
        await("agent-check ready", 5000, () -> agentCheck(agentCheck2).endsWith("% ready"));
    }

    @Test
    @Order(6)
    void sigtermDrainsBeforeTheAgentExits() throws Exception {
        agent1.terminate();
        assertEquals(0, agent1.waitFor(Duration.ofSeconds(60)), agent1.stderr());
        assertTrue(agent1.stderr().contains("stopping: drained"), agent1.stderr());
        assertTrue(kamailio.flags().get(uas1.uri()).startsWith("D"), "the stopped PBX gets no new calls");
        assertTrue(standby.flags().get(uas1.uri()).startsWith("D"), "nor from the standby proxy");
        Sipp.CallerRun run =
                Sipp.call(dir, "daemon-stopped", RealParts.freePort("127.0.0.1"), kamailio.sipPort, 20, 20, 100);
        assertEquals(0, run.exitCode(), run.output());
        assertEquals(0, run.answeredBy(PBX1));
    }

    private static String agentCheck(int port) throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            s.setSoTimeout(2000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    private static JsonNode status(int port) throws Exception {
        return JSON.readTree(get(port, "/status").body());
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitReady(AgentProcess agent, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new AssertionError("agent exited: " + agent.stderr());
            }
            try {
                if (get(port, "/health").statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("agent not ready: " + agent.stderr());
    }
}
