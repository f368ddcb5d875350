package org.pbxagent.agent.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.db.EmbeddedMariaDb;
import org.pbxagent.agent.document.RoutingExamples;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.routing.CallRouter;
import org.pbxagent.fastagi.routing.RoutingCompiler;
import org.pbxagent.fastagi.routing.RoutingSnapshot;
import picocli.CommandLine;

/** {@code pbx-agent routing export|import} as an operator runs them, on a real MariaDB. */
class RoutingImportTest {
    private static final Path EXAMPLE = Path.of("..", "etc", "routing", "small-office.yaml");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static EmbeddedMariaDb mariaDb;
    private static HikariDataSource ds;
    private static Path config;

    @BeforeAll
    static void startDb() throws Exception {
        mariaDb = EmbeddedMariaDb.start(0, null);
        HikariConfig c = new HikariConfig();
        c.setPoolName("routing-import-test");
        c.setJdbcUrl(mariaDb.jdbcUrl());
        c.setUsername("root");
        c.setMaximumPoolSize(2);
        ds = new HikariDataSource(c);
        config = dir.resolve("pbx-agent.properties");
        Files.writeString(
                config,
                "node.id = pbx-test\ndb.url = " + mariaDb.jdbcUrl() + "\ndb.user = root\n"
                        + "db.pool.min-idle = 0\ndb.pool.max-size = 2\nhttp.admin-token = routing-import-test-token\n");
    }

    @AfterAll
    static void stopDb() {
        if (ds != null) {
            ds.close();
        }
        if (mariaDb != null) {
            mariaDb.close();
        }
    }

    @BeforeEach
    void emptyDb() throws Exception {
        RoutingSchema.migrate(ds);
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM tenant");
        }
    }

    private record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run pbxAgent(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--config");
        a.add(config.toString());
        int code = cl.execute(a.toArray(new String[0]));
        return new Run(code, out.toString(), err.toString());
    }

    private static long version() throws Exception {
        return new RoutingDataReader(ds).version();
    }

    private static Run importExample() {
        Run r = pbxAgent("routing", "import", EXAMPLE.toString());
        assertEquals(0, r.code(), r.all());
        return r;
    }

    private static ObjectNode exportJson() throws Exception {
        Run r = pbxAgent("routing", "export", "--tenant", "small-office", "--format", "json");
        assertEquals(0, r.code(), r.all());
        return (ObjectNode) JSON.readTree(r.out());
    }

    private static Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static Path write(String name, ObjectNode doc) throws Exception {
        return write(name, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
    }

    private static RouteDecision call(String script, String instant, String callerId, String... params) {
        RoutingSnapshot s;
        try {
            s = RoutingCompiler.compile(new RoutingDataReader(ds).read());
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        CallRouter router =
                new CallRouter(new CallRouter.State(s, false), Clock.fixed(Instant.parse(instant), ZoneOffset.UTC));
        Map<String, String> p = new LinkedHashMap<>();
        p.put("tenant", "small-office");
        for (int i = 0; i < params.length; i += 2) {
            p.put(params[i], params[i + 1]);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("network", "yes");
        env.put("callerid", callerId);
        env.put("channel", "PJSIP/carrier-a-00000001");
        AgiRequest req = new AgiRequest(script, p, new ArrayList<>(), env);
        return switch (script) {
            case "route" -> router.route(req);
            case "ivr" -> router.ivr(req);
            default -> router.outbound(req);
        };
    }

    private static void assertDecision(RouteDecision d, String action, String target) {
        assertEquals(action, d.get("ROUTE_ACTION"), d.toString());
        assertEquals(target, d.get("ROUTE_TARGET"), d.toString());
    }

    private static final Path ALPHA = Path.of("..", "etc", "routing", "hosted-alpha.yaml");
    private static final Path BETA = Path.of("..", "etc", "routing", "hosted-beta.yaml");

    @Test
    void theHostedPairGoesInWithOneCommandEachTenantItsOwn() throws Exception {
        Run r = pbxAgent("routing", "import", ALPHA.toString(), BETA.toString());
        assertEquals(0, r.code(), r.all());
        assertFalse(r.all().contains("note:") || r.all().contains("refused"), r.all());
        assertTrue(r.out().contains("tenant hosted-alpha: ") && r.out().contains("tenant hosted-beta: "), r.out());
        String at = "2026-11-24T09:00:00Z";
        assertDecision(
                call("route", at, "4930777000", "tenant", "hosted-alpha", "did", "4930555200"),
                "DIAL",
                "PJSIP/alpha-100&PJSIP/alpha-102");
        assertDecision(
                call("route", at, "4930777000", "tenant", "hosted-beta", "did", "442079460301"),
                "QUEUE",
                "hosted-beta-orders");
        // The same extension number in both tenants: each its own phone and its own call limit.
        RouteDecision alpha = call("route", at, "4930777000", "tenant", "hosted-alpha", "did", "100");
        RouteDecision beta = call("route", at, "4930777000", "tenant", "hosted-beta", "did", "100");
        assertDecision(alpha, "DIAL", "PJSIP/alpha-100");
        assertDecision(beta, "DIAL", "PJSIP/beta-100");
        assertEquals("2", alpha.get("ROUTE_LIMIT"), alpha.toString());
        assertEquals("1", beta.get("ROUTE_LIMIT"), beta.toString());
        assertFalse(alpha.get("ROUTE_LIMIT_GROUP").equals(beta.get("ROUTE_LIMIT_GROUP")), alpha + " / " + beta);
        // A tenant's DID is not another's.
        assertEquals(
                "no-route",
                call("route", at, "4930777000", "tenant", "hosted-beta", "did", "4930555200")
                        .get("ROUTE_REASON"));
    }

    @Test
    void oneRefusedDocumentOfSeveralWritesNone() throws Exception {
        ObjectNode bad = (ObjectNode)
                JSON.readTree(
                        "{\"tenant\":\"other\",\"ring_groups\":[{\"number\":\"600\",\"members\":[\"999\"],\"no_answer\":{\"type\":\"HANGUP\",\"ref\":\"16\"}}]}");
        Path file = write("other.json", bad);
        Run r = pbxAgent("routing", "import", ALPHA.toString(), file.toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("member 999"), r.err());
        assertTrue(r.err().contains("nothing written: the documents go in together or not at all"), r.err());
        assertTrue(new RoutingDataReader(ds).read().tenants().isEmpty(), "hosted-alpha was not written either");
    }

    @Test
    void twoDocumentsOfOneTenantAreRefusedBeforeTheDb() throws Exception {
        Run r = pbxAgent("routing", "import", ALPHA.toString(), ALPHA.toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("are both tenant hosted-alpha"), r.err());
    }

    @Test
    void theJarsExamplesAreTheFilesOfEtcRoutingAndLoadIntoAnEmptyDb() throws Exception {
        try (var files = Files.list(Path.of("..", "etc", "routing"))) {
            assertEquals(
                    files.map(f -> f.getFileName().toString())
                            .filter(n -> n.endsWith(".yaml"))
                            .sorted()
                            .toList(),
                    RoutingExamples.NAMES.stream().sorted().toList());
        }
        List<String> first = RoutingExamples.load(ds);
        assertEquals(RoutingExamples.NAMES.size(), first.size(), first.toString());
        assertTrue(first.stream().allMatch(l -> l.contains("imported from")), first.toString());
        assertEquals(
                List.of("hosted-alpha", "hosted-beta", "small-office"),
                new RoutingDataReader(ds)
                        .read().tenants().stream().map(t -> t.name()).sorted().toList());
        // A second start leaves them: an operator may have changed a tenant since.
        assertTrue(RoutingExamples.load(ds).stream().allMatch(l -> l.contains("left as it is")));
    }

    @Test
    void theExampleLoadsIntoAnEmptyDbAndRoutesCalls() throws Exception {
        long before = version();
        Run r = importExample();
        assertTrue(r.out().contains("+ extension 201"), r.all());
        assertFalse(r.all().contains("note:") || r.all().contains("refused"), r.all());
        // Many rows, one import: the version moves by one, and every node reloads once.
        assertEquals(before + 1, version(), "the import bumps routing_version once");

        // Tuesday 10:00 in Berlin: the hunt group rings reception first.
        assertDecision(call("route", "2026-11-24T09:00:00Z", "4930777000", "did", "4930555100"), "DIAL", "PJSIP/201");
        // Tuesday 20:00: after hours, reception's voicemail.
        assertDecision(
                call("route", "2026-11-24T19:00:00Z", "4930777000", "did", "4930555100"),
                "VOICEMAIL",
                "201@small-office");
        // Christmas Day is a Friday, but a holiday: voicemail.
        assertDecision(
                call("route", "2026-12-25T09:00:00Z", "4930777000", "did", "4930555100"),
                "VOICEMAIL",
                "201@small-office");
        RouteDecision blocked = call("route", "2026-11-24T09:00:00Z", "4915199999999", "did", "4930555100");
        assertEquals("HANGUP", blocked.get("ROUTE_ACTION"), blocked.toString());
        assertEquals("blocked", blocked.get("ROUTE_REASON"), blocked.toString());
        // The service line: the menu, then a key or an extension dialled directly; silence twice: the hunt group.
        RouteDecision menu = call("route", "2026-11-24T09:00:00Z", "4930777000", "did", "4930555102");
        assertDecision(menu, "IVR", "small-office/service-menu");
        assertEquals("ivr:service-menu:0:0", menu.get("ROUTE_STEP"), menu.toString());
        assertEquals("3", menu.get("ROUTE_IVR_MAX"), "direct dial: as many digits as an extension number");
        String step = menu.get("ROUTE_STEP");
        assertDecision(
                call("ivr", "2026-11-24T09:00:00Z", "4930777000", "step", step, "digits", "2"), "DIAL", "PJSIP/203");
        assertDecision(
                call("ivr", "2026-11-24T09:00:00Z", "4930777000", "step", step, "digits", "202"), "DIAL", "PJSIP/202");
        assertDecision(
                call("ivr", "2026-11-24T09:00:00Z", "4930777000", "step", step, "digits", "9"),
                "IVR",
                "option-is-invalid&small-office/service-menu");
        assertDecision(
                call("ivr", "2026-11-24T09:00:00Z", "4930777000", "step", "ivr:service-menu:0:1"), "DIAL", "PJSIP/201");
        // An outside number from an extension leaves on carrier-a first.
        assertDecision(
                call("outbound", "2026-11-24T09:00:00Z", "202", "ext", "202", "number", "0301234567"),
                "DIAL",
                "PJSIP/0301234567@carrier-a");
    }

    @Test
    void theExamplesCallClassKeepsTheWorkshopPhoneToNationalNumbers() throws Exception {
        importExample();
        RouteDecision intl = call("outbound", "2026-11-24T09:00:00Z", "203", "ext", "203", "number", "0044201234567");
        assertDecision(intl, "PLAYBACK", "cannot-complete-as-dialed");
        assertEquals("call-class:no-international:international", intl.get("ROUTE_REASON"), intl.toString());
        assertDecision(
                call("outbound", "2026-11-24T09:00:00Z", "203", "ext", "203", "number", "030123456"),
                "DIAL",
                "PJSIP/030123456@carrier-a");
        // reception has no class: every route
        assertDecision(
                call("outbound", "2026-11-24T09:00:00Z", "201", "ext", "201", "number", "0044201234567"),
                "DIAL",
                "PJSIP/0044201234567@carrier-b");
    }

    @Test
    void exportThenImportOfTheUnchangedDocumentChangesNothing() throws Exception {
        importExample();
        long v = version();
        for (String format : List.of("json", "yaml")) {
            Run export = pbxAgent("routing", "export", "--tenant", "small-office", "--format", format);
            assertEquals(0, export.code(), export.all());
            assertTrue(export.out().contains("routing_version"), export.out());
            Path f = write("exported." + format, export.out());
            Run again = pbxAgent("routing", "import", f.toString());
            assertEquals(0, again.code(), again.all());
            assertTrue(again.out().contains("no changes"), again.all());
            assertEquals(v, version(), "an unchanged document bumps no version");
        }
    }

    @Test
    void aRefusedRowRefusesTheWholeImportAndTheDbIsUnchanged() throws Exception {
        importExample();
        long v = version();
        ObjectNode doc = exportJson();
        ((ArrayNode) doc.get("extensions")).addObject().put("number", "204").put("endpoint", "PJSIP/204");
        ObjectNode route = ((ArrayNode) doc.get("inbound_routes"))
                .addObject()
                .put("name", "fax")
                .put("did_pattern", "4930555199");
        route.putObject("destination").put("type", "EXTENSION").put("ref", "299");
        Run r = pbxAgent("routing", "import", write("refused.json", doc).toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(
                r.err()
                        .lines()
                        .anyMatch(l -> l.startsWith("refused: tenant small-office: inbound route fax:")
                                && l.contains("299")
                                && l.endsWith("(refused)")),
                r.all());
        assertTrue(r.err().contains("nothing written"), r.all());
        assertEquals(v, version());
        assertFalse(exportJson().toString().contains("PJSIP/204"), "the valid new row is not written either");

        // A hunt group member that is no extension: the compiler would only leave it out, the DB cannot hold it.
        ObjectNode member = exportJson();
        ((ArrayNode) member.get("ring_groups").get(0).get("members")).add("299");
        Run m = pbxAgent("routing", "import", write("member.json", member).toString());
        assertEquals(1, m.code(), m.all());
        assertTrue(
                m.err().contains("ring group 600: member 299 is not an extension of the document (refused)"), m.all());
        assertEquals(v, version());
    }

    @Test
    void plainNumbersWrittenWithDashesAreStoredWithoutThemAndSaidSo() throws Exception {
        importExample();
        ObjectNode doc = exportJson();
        ObjectNode route = ((ArrayNode) doc.get("inbound_routes"))
                .addObject()
                .put("name", "workshop-direct")
                .put("did_pattern", "4930-555-103");
        route.putObject("destination").put("type", "EXTENSION").put("ref", "203");
        ((ArrayNode) doc.get("blocked_callers")).addObject().put("pattern", "0170-1-2-3");
        Run r = pbxAgent("routing", "import", write("dashes.json", doc).toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(
                r.out()
                        .contains("note: tenant small-office: inbound route workshop-direct"
                                + " (inbound_routes[2].did_pattern): '4930-555-103' stored as 4930555103"),
                r.all());
        assertTrue(
                r.out()
                        .contains("note: tenant small-office: blocked caller 0170-1-2-3 (blocked_callers[1].pattern):"
                                + " '0170-1-2-3' stored as 0170123"),
                r.all());
        // the numbers as callers and carriers send them now match
        assertDecision(call("route", "2026-11-24T09:00:00Z", "4930777000", "did", "4930555103"), "DIAL", "PJSIP/203");
        RouteDecision blocked = call("route", "2026-11-24T09:00:00Z", "0170123", "did", "4930555103");
        assertEquals("blocked", blocked.get("ROUTE_REASON"), blocked.toString());
        String exported = exportJson().toString();
        assertTrue(exported.contains("\"4930555103\"") && exported.contains("\"0170123\""), exported);
        assertFalse(exported.contains("4930-555-103"), exported);

        // the same number twice, once with dashes: one row, refused before anything is written
        ObjectNode twice = exportJson();
        ((ArrayNode) twice.get("blocked_callers")).addObject().put("pattern", "017-0123");
        Run t = pbxAgent("routing", "import", write("twice.json", twice).toString());
        assertEquals(2, t.code(), t.all());
        assertTrue(t.err().contains("blocked_callers[2].pattern: 0170123 appears more than once"), t.all());
    }

    @Test
    void aRowTheDbRefusesRollsBackTheWholeImport() throws Exception {
        importExample();
        long v = version();
        ObjectNode doc = exportJson();
        ((ArrayNode) doc.get("extensions")).addObject().put("number", "204").put("endpoint", "PJSIP/204");
        // The compiler takes any positive ring time; the DDL's CHECK allows 1..600, so the insert fails mid-way.
        ((ObjectNode) doc.get("extensions").get(1)).put("ring_time", 700);
        Run r = pbxAgent("routing", "import", write("db-refuses.json", doc).toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("the DB failed, nothing written"), r.all());
        assertEquals(v, version());
        String now = exportJson().toString();
        assertFalse(now.contains("PJSIP/204"), now);
        assertTrue(now.contains("PJSIP/203"), "the deleted rows are back: " + now);
    }

    @Test
    void dryRunShowsTheDiffAndWritesNothing() throws Exception {
        importExample();
        long v = version();
        ObjectNode doc = exportJson();
        ArrayNode ext = (ArrayNode) doc.get("extensions");
        ((ObjectNode) ext.get(1)).put("display_name", "Sales desk");
        ext.remove(2);
        ext.addObject().put("number", "204").put("endpoint", "PJSIP/204");
        ArrayNode members = (ArrayNode) doc.get("ring_groups").get(0).get("members");
        members.remove(2);
        members.add("204");
        // the service menu's key 2 led to 203: it must lead to the new workshop phone too
        ((ObjectNode) doc.get("ivr_menus").get(0).get("options").get(2).get("destination")).put("ref", "204");
        Run r = pbxAgent("routing", "import", write("edited.json", doc).toString(), "--dry-run");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("+ extension 204"), r.out());
        assertTrue(r.out().contains("- extension 203"), r.out());
        assertTrue(r.out().contains("~ extension 202"), r.out());
        assertTrue(r.out().contains("~ ring group 600"), r.out());
        assertTrue(r.out().contains("~ ivr menu service-menu"), r.out());
        assertFalse(r.out().contains("extension 201"), "an unchanged row is not listed: " + r.out());
        assertTrue(r.out().contains("dry run, nothing written"), r.out());
        assertEquals(v, version());
        assertTrue(exportJson().toString().contains("PJSIP/203"));

        Run real = pbxAgent("routing", "import", write("edited.json", doc).toString());
        assertEquals(0, real.code(), real.all());
        assertFalse(exportJson().toString().contains("PJSIP/203"));
        assertDecision(call("route", "2026-11-24T09:00:00Z", "4930777000", "did", "204"), "DIAL", "PJSIP/204");
    }

    @Test
    void aDocumentExportedBeforeSomeoneElsesChangeIsRefusedUnlessForced() throws Exception {
        importExample();
        ObjectNode mine = exportJson();
        ObjectNode theirs = exportJson();
        ((ObjectNode) theirs.get("extensions").get(0)).put("display_name", "Front desk");
        assertEquals(
                0,
                pbxAgent("routing", "import", write("theirs.json", theirs).toString())
                        .code());
        long v = version();

        ((ObjectNode) mine.get("extensions").get(2)).put("display_name", "Garage");
        Path f = write("mine.json", mine);
        Run stale = pbxAgent("routing", "import", f.toString());
        assertEquals(1, stale.code(), stale.all());
        assertTrue(stale.err().contains("someone else changed it"), stale.all());
        assertEquals(v, version());

        Run forced = pbxAgent("routing", "import", f.toString(), "--force");
        assertEquals(0, forced.code(), forced.all());
        assertTrue(exportJson().toString().contains("Garage"));

        // A hand-written document (no version) may create a tenant, but replaces an existing one only with --force.
        Run handWritten = pbxAgent("routing", "import", EXAMPLE.toString());
        assertEquals(1, handWritten.code(), handWritten.all());
        assertTrue(handWritten.err().contains("already exists"), handWritten.all());
        assertEquals(
                0, pbxAgent("routing", "import", EXAMPLE.toString(), "--force").code());
    }

    @Test
    void aMalformedDocumentNamesThePlaceAndNothingIsWritten() throws Exception {
        long v = version();
        String yaml = Files.readString(EXAMPLE)
                .replace("    display_name: Sales\n", "    display_name: Sales\n    ring_time: soon\n");
        Run badType = pbxAgent("routing", "import", write("bad-type.yaml", yaml).toString());
        assertEquals(2, badType.code(), badType.all());
        assertTrue(badType.err().contains("extensions[1].ring_time"), badType.all());
        assertTrue(badType.err().contains("line 15"), badType.all());

        Run missing = pbxAgent(
                "routing",
                "import",
                write(
                                "missing.yaml",
                                Files.readString(EXAMPLE).replace("  - number: \"203\"\n", "  - numbr: \"203\"\n"))
                        .toString());
        assertEquals(2, missing.code(), missing.all());
        assertTrue(missing.err().contains("extensions[2].numbr"), missing.all());

        Run noNumber = pbxAgent(
                "routing",
                "import",
                write("no-number.json", "{\"tenant\": \"x\", \"extensions\": [{\"endpoint\": \"PJSIP/1\"}]}")
                        .toString());
        assertEquals(2, noNumber.code(), noNumber.all());
        assertTrue(noNumber.err().contains("extensions[0].number: missing"), noNumber.all());

        Run syntax = pbxAgent(
                "routing",
                "import",
                write(
                                "syntax.json",
                                "{\n  \"tenant\": \"x\",\n  \"trunks\": [\n"
                                        + "    {\"name\": \"a\" \"dial_string\": \"PJSIP/{number}@a\"}\n  ]\n}\n")
                        .toString());
        assertEquals(2, syntax.code(), syntax.all());
        assertTrue(syntax.err().contains("line 4"), syntax.all());
        assertEquals(v, version());
    }
}
