package org.pbxagent.agent.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.http.Json;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;

/** The daemon on a real MariaDB (embedded), seen through its HTTP API the way operators and Pacemaker see it. */
class AgentDaemonTest {
    private static final String TOKEN = "daemon-test-token-5c1d9e7a";

    @TempDir
    static Path dir;

    private static AgentDaemon daemon;
    private static HttpClient http;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx-test");
        v.put("node.data-dir", dir.toString());
        v.put("db.url", "embedded");
        v.put("routing.snapshot-file", dir.resolve("snapshot.json").toString());
        v.put("fastagi.port", "0");
        v.put("fastagi.shutdown-grace-ms", "2000");
        v.put("fastagi.reply-timeout-ms", "1000");
        v.put("http.port", "0");
        v.put("http.admin-token", TOKEN);
        v.put("scheduler.consistency-check-interval-ms", "1000");
        v.put("scheduler.cluster.checkin-interval-ms", "1000");
        daemon = AgentDaemon.start(
                ConfigSections.from(v),
                List.of(),
                new AgentDaemon.Options(true, Clock.systemUTC()),
                CallListeners.forConfig(ConfigSections.from(v)));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        base = "http://127.0.0.1:" + daemon.httpPort();
        // Beside the examples (--sample-data), the tenant 'acme' these tests call, then its first served answer.
        com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
        hc.setJdbcUrl(daemon.jdbcUrl());
        hc.setUsername("root");
        try (com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(hc)) {
            org.pbxagent.fastagi.data.SampleRoutingData.load(ds);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"DIAL"
                .equals(new AgiCallClient()
                        .call(
                                "127.0.0.1",
                                daemon.fastAgiPort(),
                                "route?tenant=acme&did=100",
                                Map.of("callerid", "5551234"),
                                List.of(),
                                Duration.ofSeconds(5))
                        .variable("ROUTE_ACTION"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("tenant acme not served within 30 s of loading it");
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusShowsNodeRoutingFromTheDatabaseAndDrainState() throws Exception {
        HttpResponse<String> r = get("/status");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode s = Json.mapper().readTree(r.body());
        assertEquals("pbx-test", s.path("node").path("id").asText());
        assertEquals("running", s.path("node").path("state").asText());
        JsonNode routing = s.path("routing");
        assertTrue(routing.path("has_data").asBoolean(), r.body());
        assertTrue(routing.path("db_reachable").asBoolean(), r.body());
        assertFalse(routing.path("degraded").asBoolean(), r.body());
        assertEquals("database", routing.path("source").asText());
        assertTrue(routing.path("snapshot_version").asLong() > 0, r.body());
        assertFalse(s.path("drain").path("drained").asBoolean(), r.body());
    }

    @Test
    void healthIsReadyWithNoFailures() throws Exception {
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode h = Json.mapper().readTree(r.body());
        assertTrue(h.path("ready").asBoolean(), r.body());
        assertEquals(0, h.path("failures").size(), r.body());
        HttpResponse<String> live = get("/health/live");
        assertEquals(200, live.statusCode());
        // The resource agent's start compares this with the pid it started.
        assertEquals(
                ProcessHandle.current().pid(),
                Json.mapper().readTree(live.body()).path("pid").asLong(),
                live.body());
    }

    @Test
    void fastAgiAnswersACallWithTheRouteFromTheDatabaseAndCountsIt() throws Exception {
        long servedBefore = Json.mapper()
                .readTree(get("/status").body())
                .path("fastagi")
                .path("served")
                .asLong();
        AgiCallResult r = new AgiCallClient()
                .call(
                        "127.0.0.1",
                        daemon.fastAgiPort(),
                        "route?tenant=acme&did=100",
                        Map.of("callerid", "5551234"),
                        List.of(),
                        Duration.ofSeconds(5));
        assertEquals("DIAL", r.variable("ROUTE_ACTION"), r.transcript());
        assertEquals("SIP/1001", r.variable("ROUTE_TARGET"), r.transcript());
        assertEquals("0", r.variable("ROUTE_DEGRADED"), r.transcript());
        JsonNode f = Json.mapper().readTree(get("/status").body()).path("fastagi");
        assertEquals(servedBefore + 1, f.path("served").asLong(), f.toString());
        assertEquals(0, f.path("in_flight").asInt(), f.toString());
        assertTrue(
                get("/metrics").body().lines().anyMatch(l -> l.startsWith("pbxagent_fastagi_sessions_served_total ")),
                "served counter exported");
        assertEquals(1, r.roundTrips(), "one command per decision: " + r.commands());
        assertTrue(r.holdNanos() < Duration.ofSeconds(1).toNanos(), "held " + r.holdNanos() / 1_000_000 + " ms");
    }

    @Test
    void theDaemonServesFeatureCodesThatWriteTheCallersExtension() throws Exception {
        for (String code : List.of("*78", "*79")) {
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            daemon.fastAgiPort(),
                            "feature?tenant=acme&ext=1003&code=" + code,
                            Map.of("callerid", "1003"),
                            List.of(),
                            Duration.ofSeconds(10));
            assertEquals("PLAYBACK", r.variable("ROUTE_ACTION"), r.transcript());
            assertTrue(r.variable("ROUTE_TARGET").startsWith("do-not-disturb&"), r.transcript());
            assertEquals(1, r.roundTrips(), r.transcript());
        }
    }

    /** What a stalled session looked like on a real Asterisk: no reply within the reply timeout. */
    @Test
    void aSessionWithoutItsReplyIsTimedOutNotServedOnStatusAndMetrics() throws Exception {
        JsonNode before = Json.mapper().readTree(get("/status").body()).path("fastagi");
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", daemon.fastAgiPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream()
                    .write(AgiCallClient.environmentBlock(
                            "127.0.0.1", daemon.fastAgiPort(), "route?tenant=acme&did=100", Map.of(), List.of()));
            // Read the command, never answer it: the server gives up after fastagi.reply-timeout-ms and closes.
            java.io.InputStream in = s.getInputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                // the command line
            }
            assertEquals(-1, in.read(), "closed after the reply timeout");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode f;
        do {
            f = Json.mapper().readTree(get("/status").body()).path("fastagi");
        } while (f.path("timed_out").asLong() == before.path("timed_out").asLong() && System.nanoTime() < deadline);
        assertEquals(before.path("timed_out").asLong() + 1, f.path("timed_out").asLong(), f.toString());
        assertEquals(before.path("served").asLong(), f.path("served").asLong(), "not served: " + f);
        String timedOut = get("/metrics")
                .body()
                .lines()
                .filter(l -> l.startsWith("pbxagent_fastagi_sessions_outcome_total{outcome=\"timed_out\""))
                .findFirst()
                .orElseThrow();
        assertEquals(
                (double) f.path("timed_out").asLong(),
                Double.parseDouble(timedOut.substring(timedOut.lastIndexOf(' ') + 1)),
                timedOut);
    }

    @Test
    void metricsArePrometheusTextWithRoutingAndJvmFigures() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String body = r.body();
        assertTrue(body.contains("# TYPE pbxagent_routing_snapshot_version gauge"), body);
        assertTrue(body.lines().anyMatch(l -> l.startsWith("pbxagent_routing_db_reachable 1")), body);
        assertTrue(body.contains("jvm_memory_used_bytes"), body);
        assertTrue(body.contains("process_uptime_seconds"), body);
    }

    @Test
    void drainNeedsTheAdminTokenAndChangesTheState() throws Exception {
        assertEquals(401, post("/drain", null).statusCode());
        HttpResponse<String> wrong = post("/drain", TOKEN + "x");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("www-authenticate").isPresent());
        assertEquals(405, get("/drain").statusCode());
        assertFalse(daemon.drainSwitch().state().drained());

        HttpResponse<String> ok = post("/drain?reason=kernel%20update", TOKEN);
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(Json.mapper().readTree(ok.body()).path("drained").asBoolean(), ok.body());
        JsonNode s = Json.mapper().readTree(get("/status").body());
        assertTrue(s.path("drain").path("drained").asBoolean());
        assertEquals("kernel update", s.path("drain").path("reason").asText());
        assertTrue(get("/metrics").body().lines().anyMatch(l -> l.startsWith("pbxagent_drained 1")));

        assertEquals(401, post("/undrain", null).statusCode());
        HttpResponse<String> back = post("/undrain", TOKEN);
        assertEquals(200, back.statusCode());
        assertFalse(daemon.drainSwitch().state().drained());
    }

    @Test
    void statusPageIsPlainHtmlWithEscapedValues() throws Exception {
        HttpResponse<String> r = get("/");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(r.body().contains("<h1>pbx-agent pbx-test</h1>"), r.body());
        assertFalse(r.body().contains("<script"), r.body());
        // Inline SVG and CSS only: nothing fetched from elsewhere.
        assertFalse(r.body().contains("http://") || r.body().contains("https://"), "no external assets");
        assertTrue(r.body().contains("id=\"summary\"") && r.body().contains("<svg"), r.body());
        assertEquals(404, get("/nothing-here").statusCode());
    }

    @Test
    void withTheDatabaseDownANodeStartsFromItsSnapshotAndAnswersDegraded() throws Exception {
        Path snapshot = dir.resolve("outage-snapshot.json");
        java.nio.file.Files.copy(dir.resolve("snapshot.json"), snapshot);
        int deadDbPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadDbPort = s.getLocalPort();
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx-outage");
        v.put("db.url", "jdbc:mysql://127.0.0.1:" + deadDbPort + "/pbx");
        v.put("db.user", "agent");
        v.put("db.password", "unused-pass");
        v.put("routing.snapshot-file", snapshot.toString());
        v.put("fastagi.port", "0");
        v.put("http.port", "0");
        v.put("http.admin-token", TOKEN);
        AgentConfig c = ConfigSections.from(v);
        try (AgentDaemon outage =
                AgentDaemon.start(c, List.of(), AgentDaemon.Options.defaults(), CallListeners.forConfig(c))) {
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            outage.fastAgiPort(),
                            "route?tenant=acme&did=100",
                            Map.of("callerid", "5551234"),
                            List.of(),
                            Duration.ofSeconds(5));
            assertEquals("DIAL", r.variable("ROUTE_ACTION"), r.transcript());
            assertEquals("1", r.variable("ROUTE_DEGRADED"), r.transcript());
            HttpResponse<String> h = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + outage.httpPort() + "/health"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, h.statusCode(), h.body());
            assertTrue(h.body().contains("degraded"), h.body());
            // Cluster work waits for the DB; the node itself is ready.
            assertTrue(h.body().contains("cluster-scheduler: not running"), h.body());
            JsonNode routing = Json.mapper()
                    .readTree(http.send(
                                    HttpRequest.newBuilder(
                                                    URI.create("http://127.0.0.1:" + outage.httpPort() + "/status"))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .path("routing");
            assertFalse(routing.path("db_reachable").asBoolean(), routing.toString());
            assertEquals("disk", routing.path("source").asText(), routing.toString());
        }
    }

    @Test
    void withNoRoutingDataAnywhereCallsGetCongestionUntilDataArrives() throws Exception {
        String emptyUrl = daemon.jdbcUrl().replace("/pbx", "/pbx_empty");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(daemon.jdbcUrl(), "root", "");
                java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS pbx_empty");
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx-first-boot");
        v.put("db.url", emptyUrl);
        v.put("db.user", "root");
        v.put(
                "routing.snapshot-file",
                dir.resolve("first-boot").resolve("snapshot.json").toString());
        v.put("routing.refresh-ms", "200");
        v.put("fastagi.port", "0");
        v.put("http.port", "0");
        v.put("http.admin-token", TOKEN);
        v.put("scheduler.enabled", "false");
        AgentConfig c = ConfigSections.from(v);
        try (AgentDaemon firstBoot =
                AgentDaemon.start(c, List.of(), AgentDaemon.Options.defaults(), CallListeners.forConfig(c))) {
            AgiCallResult before = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            firstBoot.fastAgiPort(),
                            "route?tenant=acme&did=100",
                            Map.of(),
                            List.of(),
                            Duration.ofSeconds(5));
            assertEquals("CONGESTION", before.variable("ROUTE_ACTION"), before.transcript());
            assertEquals("no-routing-data", before.variable("ROUTE_REASON"), before.transcript());
            HttpResponse<String> h = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + firstBoot.httpPort() + "/health"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, h.statusCode(), h.body());
            assertTrue(h.body().contains("no routing data"), h.body());
            // The operator is told how to load a tenant.
            assertTrue(h.body().contains("pbx-agent routing import etc/routing/small-office.yaml"), h.body());

            // Refused for a while (longer than a doubling retry would wait to look again)...
            Thread.sleep(8000);
            // ...then the operator loads the data; the node picks it up without a restart, at the refresh interval.
            com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
            hc.setJdbcUrl(emptyUrl);
            hc.setUsername("root");
            try (com.zaxxer.hikari.HikariDataSource ds = new com.zaxxer.hikari.HikariDataSource(hc)) {
                org.pbxagent.fastagi.data.SampleRoutingData.load(ds);
            }
            long loaded = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            String action = null;
            while (System.nanoTime() < deadline) {
                action = new AgiCallClient()
                        .call(
                                "127.0.0.1",
                                firstBoot.fastAgiPort(),
                                "route?tenant=acme&did=100",
                                Map.of(),
                                List.of(),
                                Duration.ofSeconds(5))
                        .variable("ROUTE_ACTION");
                if ("DIAL".equals(action)) {
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals("DIAL", action);
            long tookMs = (System.nanoTime() - loaded) / 1_000_000;
            // refresh 200 ms: a retry that backed off would next look 8 s or more after the start
            assertTrue(tookMs < 5000, "data served " + tookMs + " ms after it was loaded");
            assertEquals(
                    200,
                    http.send(
                                    HttpRequest.newBuilder(
                                                    URI.create("http://127.0.0.1:" + firstBoot.httpPort() + "/health"))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
        }
    }

    @Test
    void takenHttpPortFailsTheStartNamingTheKey() throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx-second");
        v.put("db.url", daemon.jdbcUrl());
        v.put("db.user", "root");
        v.put("routing.snapshot-file", dir.resolve("second-snapshot.json").toString());
        v.put("fastagi.port", "0");
        v.put("http.port", Integer.toString(daemon.httpPort()));
        v.put("http.admin-token", TOKEN);
        v.put("scheduler.enabled", "false");
        AgentConfig c = ConfigSections.from(v);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class,
                () -> AgentDaemon.start(c, List.of(), AgentDaemon.Options.defaults(), CallListeners.forConfig(c)));
        assertTrue(e.getMessage().contains("change http.port"), e.getMessage());
        // The first daemon is untouched.
        assertEquals(200, get("/health/live").statusCode());
    }

    @Test
    void clusterConsistencyCheckRunsAndIsPublished() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        JsonNode c = null;
        while (System.nanoTime() < deadline) {
            c = Json.mapper().readTree(get("/status").body()).path("consistency");
            if (c.has("problems")) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(c != null && c.has("problems"), String.valueOf(c));
        assertEquals(0, c.path("problems").asInt(), c.toString());
        assertEquals("pbx-test", c.path("ran_on").asText(), c.toString());
        assertTrue(
                get("/metrics").body().lines().anyMatch(l -> l.startsWith("pbxagent_routing_consistency_problems 0")));
    }
}
