package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pbxagent.agent.balancer.RealParts.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.daemon.AgentProcess;
import org.pbxagent.agent.db.EmbeddedMariaDb;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import picocli.CommandLine;

/**
 * What an operator sees of a running node: one {@code pbx-agent run} child JVM on 127.0.0.1 watching an AMI peer
 * (replaying Asterisk 20) and pushing to a real Kamailio (the shipped kamailio.cfg), after a few real FastAGI
 * calls. The status page is rendered by the real headless Chromium and its summary band compared with /status;
 * /metrics is checked by the real {@code promtool check metrics}; {@code pbx-agent status} prints the same summary
 * as text. Lives beside the Kamailio harness it uses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StatusPageIT {
    private static final String ADMIN = "status-page-admin-7d3e91";
    private static final String READ = "status-page-read-41c0b8";
    private static final String PBX = "127.0.0.2";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private static Path dir;
    private static EmbeddedMariaDb db;
    private static KamailioProcess kamailio;
    private static AmiPeer ami;
    private static AgentProcess agent;
    private static int httpPort;
    private static int agiPort;
    private static String pbxUri;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("status-page-it");
        db = EmbeddedMariaDb.start(0, null);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.jdbcUrl());
        c.setUsername("root");
        try (HikariDataSource ds = new HikariDataSource(c)) {
            RoutingSchema.migrate(ds);
            SampleRoutingData.load(ds);
        }
        pbxUri = "sip:" + PBX + ":" + RealParts.freePort(PBX);
        kamailio = new KamailioProcess(
                Files.createDirectories(dir.resolve("kamailio")),
                RealParts.freePort("127.0.0.1"),
                RealParts.freePort("127.0.0.1"),
                List.of(pbxUri));
        kamailio.start();
        ami = new AmiPeer("agent", "agentsecret").start();
        httpPort = AgentProcess.freePort();
        agiPort = AgentProcess.freePort();
        Path work = Files.createDirectories(dir.resolve("pbx1"));
        Path config = work.resolve("pbx-agent.properties");
        Files.writeString(work.resolve("read.token"), READ + "\n");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "node.id = pbx1",
                        "node.data-dir = " + work,
                        "db.url = " + db.jdbcUrl(),
                        "db.user = root",
                        "routing.snapshot-file = " + work.resolve("routing-snapshot.json"),
                        "fastagi.port = " + agiPort,
                        "http.port = " + httpPort,
                        "http.admin-token = " + ADMIN,
                        "http.read-token = " + READ,
                        "scheduler.cluster.enabled = false",
                        "ami.enabled = true",
                        "ami.host = 127.0.0.1",
                        "ami.port = " + ami.port(),
                        "ami.username = agent",
                        "ami.secret = agentsecret",
                        "ami.poll-interval-ms = 200",
                        "load.max-calls = 4",
                        // The score moves only on large changes: fewer values for the page to race with.
                        "load.hysteresis-points = 50",
                        "kamailio.rpc-urls = " + kamailio.rpcUrl(),
                        "kamailio.node-uri = " + pbxUri,
                        "kamailio.source-address = " + PBX,
                        ""));
        agent = AgentProcess.start(work, "run", "--config", config.toString());
        await(
                "agent ready, Asterisk seen, Kamailio confirmed the state",
                90_000,
                () -> {
                    try {
                        JsonNode s = status().path("summary");
                        return s.path("ready").asBoolean()
                                && s.path("asterisk").asText().equals("available")
                                && s.path("kamailio")
                                        .path(0)
                                        .path("dispatcher_state")
                                        .asText()
                                        .equals("active");
                    } catch (Exception e) {
                        return false;
                    }
                },
                () -> agent.stderr());
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (ami != null) {
            ami.close();
        }
        if (kamailio != null) {
            kamailio.close();
        }
        if (db != null) {
            db.close();
        }
        RealParts.deleteTree(dir);
    }

    private static HttpResponse<String> get(String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + READ);
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode status() throws Exception {
        HttpResponse<String> r = get("/status", null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static void calls() throws Exception {
        AgiCallClient client = new AgiCallClient();
        for (int i = 0; i < 5; i++) {
            AgiCallResult r = client.call(
                    "127.0.0.1",
                    agiPort,
                    "route?tenant=acme&did=100",
                    Map.of("callerid", "5551234"),
                    List.of(),
                    Duration.ofSeconds(10));
            assertEquals("DIAL", r.variable("ROUTE_ACTION"), r.transcript());
        }
        AgiCallResult unknown = client.call(
                "127.0.0.1",
                agiPort,
                "route?tenant=nobody&did=1",
                Map.of("callerid", "5551234"),
                List.of(),
                Duration.ofSeconds(10));
        assertEquals("unknown-tenant", unknown.variable("ROUTE_REASON"), unknown.transcript());
    }

    @Test
    @Order(1)
    void metricsPassPromtoolAndCountDecisionsByScriptActionReason() throws Exception {
        calls();
        ami.callUp();
        ami.callUp();
        await(
                "two calls seen over AMI",
                20_000,
                () -> status().path("summary").path("calls").asInt() == 2);
        HttpResponse<String> r = get("/metrics", null);
        assertEquals(200, r.statusCode());
        String body = r.body();
        Files.writeString(Path.of("target", "status-page-metrics.txt"), body);
        Process p = new ProcessBuilder("promtool", "check", "metrics")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        String verdict = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), verdict);
        assertEquals("", verdict.strip(), "promtool has nothing to say about any metric");

        assertTrue(body.contains("pbxagent_route_decisions_total{action=\"DIAL\",degraded=\"false\",reason="), body);
        assertTrue(
                body.lines()
                        .anyMatch(l -> l.startsWith("pbxagent_route_decisions_total{action=\"CONGESTION\""
                                + ",degraded=\"false\",reason=\"unknown-tenant\",script=\"route\"} 1")),
                body);
        assertTrue(body.contains("pbxagent_route_decision_duration_seconds_bucket{script=\"route\",le="), body);
        assertTrue(
                body.contains("pbxagent_kamailio_push_duration_seconds_bucket{kamailio=\"" + kamailio.rpcUrl() + "\""),
                body);
        assertTrue(
                body.contains("pbxagent_kamailio_dispatcher_state{kamailio=\"" + kamailio.rpcUrl()
                        + "\",state=\"active\"} 1"),
                body);
        for (String family : List.of(
                "pbxagent_ami_reply_round_trip_seconds ",
                "pbxagent_routing_db_last_success_timestamp_seconds ",
                "pbxagent_kamailio_last_push_success_timestamp_seconds{",
                "pbxagent_build_info{",
                "hikaricp_connections_active{",
                "process_cpu_seconds_total ",
                "pbxagent_asterisk_active_calls 2")) {
            assertTrue(body.lines().anyMatch(l -> l.startsWith(family)), family + " in\n" + body);
        }
        // No sentinels: no sample says "no data" with a number (none of these figures can be negative).
        for (String line : body.lines().filter(l -> !l.startsWith("#")).toList()) {
            String value = line.substring(line.lastIndexOf(' ') + 1);
            assertFalse(value.equals("NaN") || value.startsWith("-"), "sentinel value in: " + line);
        }

        HttpResponse<String> om = get("/metrics", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
        assertTrue(
                om.headers().firstValue("content-type").orElse("").startsWith("application/openmetrics-text"),
                om.headers().toString());
        assertTrue(om.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");
    }

    @Test
    @Order(2)
    void theStatusPageInChromiumShowsTheSummaryThatStatusReports() throws Exception {
        // Two history samples at least (one every 5 s), so every plot has a line.
        await(
                "decisions plotted",
                30_000,
                () -> get("/", null).body().matches("(?s).*id=\"plot-decisions\".*?<polyline.*"));
        // The score follows the machine's CPU, and starting Chromium on two cores moves it: /status is read
        // throughout the render, and the page must show one of the scores /status gave while it was rendered.
        Set<String> scores = new TreeSet<>();
        ScoreWatch watch = new ScoreWatch(scores);
        watch.start();
        Path target = Path.of("target").toAbsolutePath();
        Path screenshot = target.resolve("status-page.png");
        Files.deleteIfExists(screenshot);
        String dom;
        try {
            dom = chromium(List.of("--dump-dom"));
        } finally {
            watch.finish();
        }
        chromium(List.of("--screenshot=" + screenshot, "--window-size=1280,1400"));
        JsonNode after = status().path("summary");
        Files.writeString(target.resolve("status-page-dom.html"), dom);
        assertTrue(Files.size(screenshot) > 10_000, "screenshot written: " + screenshot);

        assertEquals("ready", tile(dom, "ready"), dom);
        assertEquals("in rotation", tile(dom, "drain"));
        String shown = tile(dom, "score");
        synchronized (scores) {
            assertTrue(
                    scores.contains(shown),
                    "page shows score " + shown + ", /status said " + scores + " while it was rendered");
        }
        assertEquals("2 / 4", tile(dom, "calls"));
        assertEquals("available", tile(dom, "asterisk"));
        assertTrue(tile(dom, "db").startsWith("reachable, "), tile(dom, "db"));
        assertTrue(
                tile(dom, "snapshot")
                        .startsWith("v" + after.path("snapshot_version").asLong() + " database, "),
                tile(dom, "snapshot"));
        assertTrue(tile(dom, "kamailio-0").startsWith("active, push "), tile(dom, "kamailio-0"));
        assertTrue(dom.contains("Kamailio " + kamailio.rpcUrl()), dom);

        // The band comes first, the plots are inline SVG, nothing is fetched from elsewhere.
        assertTrue(dom.indexOf("id=\"summary\"") < dom.indexOf("<h2"), "summary band before the sections");
        for (String plot : List.of("score", "calls", "decisions", "degraded")) {
            assertTrue(
                    Pattern.compile("id=\"plot-" + plot + "\".*?<svg", Pattern.DOTALL)
                            .matcher(dom)
                            .find(),
                    plot + " plot");
        }
        assertFalse(
                dom.contains("<script") || dom.contains("<link") || dom.matches("(?s).*src=\"https?:.*"),
                "no scripts, no external assets");
        // Real tables: no cell holds a JSON object or list.
        Matcher cells = Pattern.compile("<td>([^<]*)</td>").matcher(dom);
        while (cells.find()) {
            String cell = cells.group(1).strip();
            assertFalse(cell.startsWith("{") || cell.startsWith("["), "JSON in a cell: " + cell);
        }
        // Before its first AMI session the agent may try an automatic drain of the set's only PBX, which is
        // refused (whether it does depends on which comes first); Asterisk is up now, so no such note is shown.
        System.out.println("automatic drain refused before the first AMI session: "
                + (agent.stderr().contains("automatic drain (")
                        && agent.stderr().contains(") refused: ")));
        assertFalse(dom.contains(") refused: "), dom);
        // The balancer's per-Kamailio table, once.
        assertEquals(1, count(dom, "<th>dispatcher_state</th>"), dom);
    }

    @Test
    @Order(3)
    void statusPrintsTheSameSummaryAsTextAndJsonWithJson() throws Exception {
        Path tokenFile = dir.resolve("pbx1").resolve("read.token");
        String url = "http://127.0.0.1:" + httpPort;
        String[] text = cli("status", "--url", url, "--token-file", tokenFile.toString());
        assertEquals("0", text[0], text[1] + text[2]);
        JsonNode s = status().path("summary");
        assertTrue(text[1].startsWith("node pbx1: ready, in rotation (running"), text[1]);
        assertTrue(
                text[1].contains("\nscore " + s.path("score").asText() + ", calls 2 of 4, asterisk available\n")
                        || text[1].contains(", calls 2 of 4, asterisk available\n"),
                text[1]);
        assertTrue(text[1].contains("\ndb reachable, last answer "), text[1]);
        assertTrue(
                text[1].contains("routing version " + s.path("snapshot_version").asLong() + " from database"), text[1]);
        assertTrue(text[1].contains("\nkamailio " + kamailio.rpcUrl() + ": active, last push "), text[1]);
        assertFalse(text[1].contains("{"), "no JSON in the text summary: " + text[1]);

        String[] json = cli("status", "--url", url, "--token-file", tokenFile.toString(), "--json");
        assertEquals("0", json[0], json[2]);
        JsonNode doc = JSON.readTree(json[1]);
        assertEquals("pbx1", doc.path("summary").path("node").asText());
        assertTrue(doc.path("routing").path("db_reachable").asBoolean(), json[1]);
        // One naming style: no camelCase key anywhere in /status.
        Set<String> camel = new TreeSet<>();
        collectCamel(doc, camel);
        assertEquals(Set.of(), camel, json[1]);
    }

    private static void collectCamel(JsonNode n, Set<String> out) {
        if (n.isObject()) {
            n.properties().forEach(e -> {
                if (!e.getKey().equals(e.getKey().toLowerCase(java.util.Locale.ROOT))
                        && !e.getKey().contains(":")
                        && !e.getKey().contains("/")) {
                    out.add(e.getKey());
                }
                collectCamel(e.getValue(), out);
            });
        } else if (n.isArray()) {
            n.forEach(x -> collectCamel(x, out));
        }
    }

    private static String[] cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    /** One headless Chromium run on the page; Basic authentication with the read token as the password. */
    private static String chromium(List<String> what) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--user-data-dir=" + profile));
        cmd.addAll(what);
        cmd.add("http://operator:" + READ + "@127.0.0.1:" + httpPort + "/");
        Path out = dir.resolve("chromium-" + System.nanoTime() + ".out");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished within 90 s");
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), "chromium exit");
        return Files.readString(out);
    }

    private static String tile(String dom, String key) {
        Matcher m = Pattern.compile("id=\"sum-" + Pattern.quote(key)
                        + "\"><span class=\"label\">[^<]*</span><span class=\"value\">([^<]*)</span>")
                .matcher(dom);
        assertTrue(m.find(), "tile " + key + " in the page");
        return m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }

    /** Reads /status every few ms until finished, collecting every score it reports (the first read before). */
    private static final class ScoreWatch extends Thread {
        private final Set<String> scores;
        private volatile boolean done;

        ScoreWatch(Set<String> scores) throws Exception {
            super("status-score-watch");
            setDaemon(true);
            this.scores = scores;
            record();
        }

        private void record() throws Exception {
            String score = status().path("summary").path("score").asText();
            synchronized (scores) {
                scores.add(score);
            }
        }

        @Override
        public void run() {
            while (!done) {
                try {
                    record();
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // a read that failed under load; the next one counts
                }
            }
        }

        /** Stops the watch after one last read, so a score published as the render ended is counted too. */
        void finish() throws Exception {
            done = true;
            join(15_000);
            record();
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
