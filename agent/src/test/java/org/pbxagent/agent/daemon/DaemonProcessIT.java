package org.pbxagent.agent.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.db.EmbeddedMariaDb;
import org.pbxagent.agent.http.Json;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.protocol.AgiCommands;

/**
 * {@code pbx-agent run} as systemd runs it: a child JVM with a configuration file, on a real MariaDB holding the
 * sample routing data.
 * SIGTERM with a FastAGI session in flight: the session still gets its whole answer, then the agent exits 0.
 */
class DaemonProcessIT {
    private static final String TOKEN = "process-it-token-93b1f0c2";

    @TempDir
    Path dir;

    private static EmbeddedMariaDb sharedDb;

    /** The cluster's shared DB, apart from the node: schema and sample routing data, as an operator loads them. */
    @BeforeAll
    static void sharedDatabase() throws Exception {
        sharedDb = EmbeddedMariaDb.start(0, null);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(sharedDb.jdbcUrl());
        c.setUsername("root");
        try (HikariDataSource ds = new HikariDataSource(c)) {
            RoutingSchema.migrate(ds);
            SampleRoutingData.load(ds);
        }
    }

    @AfterAll
    static void stopSharedDatabase() {
        if (sharedDb != null) {
            sharedDb.close();
        }
    }

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void sigtermLetsTheSessionInFlightFinishThenExitsZero() throws Exception {
        int agiPort = AgentProcess.freePort();
        int httpPort = AgentProcess.freePort();
        Path config = dir.resolve("pbx-agent.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "node.id = pbx-it",
                        "node.data-dir = " + dir,
                        "db.url = " + sharedDb.jdbcUrl(),
                        "db.user = root",
                        "routing.snapshot-file = " + dir.resolve("routing-snapshot.json"),
                        "fastagi.port = " + agiPort,
                        // The test holds the environment block back while the stop begins.
                        "fastagi.environment-timeout-ms = 30000",
                        "fastagi.shutdown-grace-ms = 20000",
                        "http.port = " + httpPort,
                        "http.admin-token = " + TOKEN,
                        "scheduler.cluster.enabled = false",
                        ""));
        String base = "http://127.0.0.1:" + httpPort;
        try (AgentProcess agent = AgentProcess.start(dir, "run", "--config", config.toString())) {
            awaitReady(agent, base, Duration.ofSeconds(60));

            // The status command against the running agent: ready, exit 0.
            try (AgentProcess status =
                    AgentProcess.start(dir.resolve("status"), "status", "--config", config.toString())) {
                assertEquals(0, status.waitFor(Duration.ofSeconds(30)), status.stdout() + status.stderr());
                assertTrue(status.stdout().contains("node pbx-it: ready"), status.stdout());
            }

            // SIGHUP (a closed terminal, a stray reload) is logged, not fatal. Started under nohup, the agent
            // inherits SIGHUP ignored and the JVM leaves it so: nothing to log then, and still not fatal.
            boolean hupInherited = hupIgnored(agent.pid());
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(agent.pid())).start();
            assertEquals(0, hup.waitFor());
            if (!hupInherited) {
                agent.awaitOutput("SIGHUP ignored", Duration.ofSeconds(10));
            }
            assertTrue(agent.isAlive());
            assertEquals(200, get(base + "/health").statusCode());

            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", agiPort), 2000);
                s.setSoTimeout(20_000);
                OutputStream o = s.getOutputStream();
                BufferedReader in =
                        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                o.write(("agi_network: yes\nagi_network_script: route?tenant=acme&did=100\n"
                                + "agi_request: agi://127.0.0.1:" + agiPort + "/route?tenant=acme&did=100\n")
                        .getBytes(StandardCharsets.UTF_8));
                o.flush();
                awaitInFlight(base, 1, Duration.ofSeconds(10));

                agent.terminate();
                // Stopping, not gone: HTTP still answers and says so while the session is in flight.
                awaitState(base, "stopping", Duration.ofSeconds(10));
                assertTrue(agent.isAlive());

                o.write(("agi_channel: SIP/127.0.0.1-00000005\nagi_language: en\nagi_type: SIP\n"
                                + "agi_uniqueid: 1795544721.5\nagi_version: 20.20.1\nagi_callerid: 5551234\n"
                                + "agi_calleridname: sipp\nagi_dnid: 100\nagi_context: from-kamailio\n"
                                + "agi_extension: 100\nagi_priority: 3\n\n")
                        .getBytes(StandardCharsets.UTF_8));
                o.flush();
                Map<String, String> vars = new LinkedHashMap<>();
                String line;
                while ((line = in.readLine()) != null) {
                    // The decision is one EXEC MSet command; Asterisk answers it with result=0.
                    java.util.List<String> w = AgiCommands.parseWords(line);
                    if (w.size() == 3 && w.get(0).equals("EXEC") && w.get(1).equals("MSet")) {
                        AgiCommands.msetAssignments(w.get(2)).forEach(a -> vars.put(a.getKey(), a.getValue()));
                    }
                    o.write("200 result=0\n".getBytes(StandardCharsets.UTF_8));
                    o.flush();
                }
                assertEquals("DIAL", vars.get("ROUTE_ACTION"), vars.toString());
                assertEquals("SIP/1001", vars.get("ROUTE_TARGET"), vars.toString());
            }
            int code = agent.waitFor(Duration.ofSeconds(60));
            assertEquals(0, code, agent.stderr());
            String log = agent.stderr();
            int drained = log.indexOf("stopping: drained");
            int stopped = log.indexOf("pbx-agent stopped");
            assertTrue(drained >= 0 && stopped > drained, log);
        }
    }

    /**
     * A DB that accepts TCP and never speaks (a hung MySQL): the start spends seconds on it after the HTTP API
     * already answers. A SIGTERM in that window (an operator, systemd, Pacemaker's stop) still ends in the graceful
     * stop and exit 0, not the JVM's default 143.
     */
    @Test
    void sigtermWhileTheStartWaitsOnASilentDbExitsZero() throws Exception {
        int httpPort = AgentProcess.freePort();
        try (ServerSocket silentDb = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("silent-db.properties");
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "node.id = pbx-it",
                            "node.data-dir = " + dir,
                            "db.url = jdbc:mysql://127.0.0.1:" + silentDb.getLocalPort() + "/pbx",
                            "db.user = pbxagent",
                            "db.connect-timeout-ms = 3000",
                            "routing.snapshot-file = " + dir.resolve("routing-snapshot.json"),
                            "fastagi.port = " + AgentProcess.freePort(),
                            "http.port = " + httpPort,
                            "http.admin-token = " + TOKEN,
                            ""));
            String base = "http://127.0.0.1:" + httpPort;
            try (AgentProcess agent = AgentProcess.start(dir.resolve("silent"), "run", "--config", config.toString())) {
                awaitListening(agent, base, Duration.ofSeconds(60));
                agent.terminate();
                int code = agent.waitFor(Duration.ofSeconds(60));
                assertEquals(0, code, agent.stderr());
                assertTrue(agent.stderr().contains("SIGTERM received: stopping"), agent.stderr());
                assertTrue(agent.stderr().contains("pbx-agent stopped"), agent.stderr());
            }
        }
    }

    /** Until the HTTP API answers at all (any status: the node need not be ready). */
    private void awaitListening(AgentProcess agent, String base, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new AssertionError("agent exited: " + agent.stderr());
            }
            try {
                get(base + "/health");
                return;
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("HTTP never answered within " + max + ": " + agent.stderr());
    }

    /** Whether the process was started with SIGHUP ignored (bit 0 of SigIgn in /proc/PID/status). */
    private static boolean hupIgnored(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 1) != 0;
            }
        }
        return false;
    }

    private void awaitReady(AgentProcess agent, String base, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new AssertionError("agent exited: " + agent.stderr());
            }
            try {
                if (get(base + "/health").statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("agent not ready within " + max + ": " + agent.stderr());
    }

    private void awaitInFlight(String base, int n, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        JsonNode f = null;
        while (System.nanoTime() < deadline) {
            f = Json.mapper().readTree(get(base + "/status").body()).path("fastagi");
            if (f.path("in_flight").asInt() == n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("in flight never " + n + ": " + f);
    }

    private void awaitState(String base, String state, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        String seen = null;
        while (System.nanoTime() < deadline) {
            seen = Json.mapper()
                    .readTree(get(base + "/status").body())
                    .path("node")
                    .path("state")
                    .asText();
            if (state.equals(seen)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("state never " + state + ", last " + seen);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(3))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
