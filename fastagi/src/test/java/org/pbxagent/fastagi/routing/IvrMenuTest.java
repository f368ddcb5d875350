package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.server.FastAgiServer;
import org.pbxagent.fastagi.server.FastAgiServerSettings;

/**
 * IVR menus of the sample data (acme's main menu with direct dial and its support menu), driven step by step the way
 * the static dialplan drives them: each answer goes to Asterisk's side of the session (the res_agi-faithful client),
 * and an IVR answer is followed by the {@code ivr} script with the digits the caller pressed.
 */
class IvrMenuTest {
    private static FastAgiServer server;

    @BeforeAll
    static void start() throws Exception {
        server = serve(SampleRoutingData.data());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static FastAgiServer serve(RoutingData data) throws Exception {
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(data), false),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        FastAgiServer s = new FastAgiServer(
                FastAgiServerSettings.defaults().withPort(0),
                Map.of(
                        RoutingService.ROUTE,
                        router::route,
                        RoutingService.NEXT,
                        router::next,
                        RoutingService.IVR,
                        router::ivr));
        s.start();
        return s;
    }

    /** One AGI session as Asterisk runs it: the answer, checked to be whole (one round trip, ROUTE_ACTION last). */
    private static AgiCallResult agi(String script) throws Exception {
        AgiCallResult r = new AgiCallClient()
                .call(
                        "127.0.0.1",
                        server.port(),
                        script,
                        Map.of("callerid", "4930777000"),
                        List.of(),
                        Duration.ofSeconds(20));
        assertEquals(1, r.roundTrips(), script + ": " + r.commands());
        var set = r.variablesSet();
        assertEquals("ROUTE_ACTION", set.get(set.size() - 1).getKey(), script);
        return r;
    }

    /** What [route-ivr] does after Read(): the step of the IVR answer and the digits read (empty: a timeout). */
    private static AgiCallResult press(AgiCallResult ivrAnswer, String digits) throws Exception {
        assertEquals(
                "IVR", ivrAnswer.variable("ROUTE_ACTION"), ivrAnswer.commands().toString());
        return agi("ivr?tenant=acme&step=" + URLEncoder.encode(ivrAnswer.variable("ROUTE_STEP"), StandardCharsets.UTF_8)
                + "&digits=" + URLEncoder.encode(digits, StandardCharsets.UTF_8));
    }

    private static void assertMenu(AgiCallResult r, String prompt, String timeout, String maxDigits, String step) {
        assertEquals("IVR", r.variable("ROUTE_ACTION"), r.commands().toString());
        assertEquals(prompt, r.variable("ROUTE_TARGET"), r.commands().toString());
        assertEquals(timeout, r.variable("ROUTE_TIMEOUT"));
        assertEquals(maxDigits, r.variable("ROUTE_IVR_MAX"));
        assertEquals(step, r.variable("ROUTE_STEP"));
    }

    @Test
    void aCallerWalksNestedMenusRetriesAndDialsAnExtensionDirectly() throws Exception {
        AgiCallResult menu = agi("route?tenant=acme&did=4930555099");
        assertMenu(menu, "acme/welcome", "5", "4", "ivr:main-menu:0:0");

        // silence: the menu again (no timeout prompt of its own: the menu's prompt alone)
        AgiCallResult again = press(menu, "");
        assertMenu(again, "acme/welcome", "5", "4", "ivr:main-menu:0:1");
        assertEquals("ivr-timeout", again.variable("ROUTE_REASON"));
        // a key that is no choice: the invalid prompt, then the menu's
        AgiCallResult invalid = press(again, "7");
        assertMenu(invalid, "option-is-invalid&acme/welcome", "5", "4", "ivr:main-menu:1:1");
        assertEquals("ivr-invalid", invalid.variable("ROUTE_REASON"));
        // 2: the nested support menu, with its own timeout and one digit (no direct dial there)
        AgiCallResult support = press(invalid, "2");
        assertMenu(support, "acme/support", "4", "1", "ivr:support-menu:0:0");
        assertEquals("ivr:main-menu:2", support.variable("ROUTE_REASON"));
        // silence in the support menu: its timeout prompt, then its prompt
        assertMenu(press(support, ""), "acme/please-choose&acme/support", "4", "1", "ivr:support-menu:0:1");
        // 9: back to the main menu, counters fresh
        AgiCallResult main = press(support, "9");
        assertMenu(main, "acme/welcome", "5", "4", "ivr:main-menu:0:0");
        // an extension number dialled directly rings that extension, and its Dial hands over to "next" as usual
        AgiCallResult direct = press(main, "1002");
        assertEquals("DIAL", direct.variable("ROUTE_ACTION"));
        assertEquals("SIP/1002", direct.variable("ROUTE_TARGET"));
        assertEquals("ext:1002", direct.variable("ROUTE_STEP"));
        assertEquals("ivr:main-menu:direct", direct.variable("ROUTE_REASON"));
        AgiCallResult busy = agi("next?tenant=acme&step=ext:1002&dialstatus=BUSY");
        assertEquals("DIAL", busy.variable("ROUTE_ACTION"), "1002 forwards on busy to 1003");
        assertEquals("SIP/1003", busy.variable("ROUTE_TARGET"));
        // a key of the menu goes to its destination: 1 = the sales hunt group
        AgiCallResult sales = press(main, "1");
        assertEquals("DIAL", sales.variable("ROUTE_ACTION"));
        assertEquals("rg:601:0", sales.variable("ROUTE_STEP"));
    }

    @Test
    void retriesUsedUpLeadToTheInvalidAndTimeoutDestinations() throws Exception {
        AgiCallResult menu = agi("route?tenant=acme&did=4930555099");
        // two timeout retries: the third silence goes to the timeout destination, the reception ring group
        AgiCallResult t1 = press(menu, "");
        AgiCallResult t2 = press(t1, "");
        assertMenu(t2, "acme/welcome", "5", "4", "ivr:main-menu:0:2");
        AgiCallResult timedOut = press(t2, "");
        assertEquals(
                "DIAL", timedOut.variable("ROUTE_ACTION"), timedOut.commands().toString());
        assertEquals("rg:600", timedOut.variable("ROUTE_STEP"));
        assertEquals("ring-all", timedOut.variable("ROUTE_REASON"));
        // two invalid retries, counted apart from the timeouts: the third wrong key goes to reception's voicemail
        AgiCallResult i1 = press(t2, "5");
        AgiCallResult i2 = press(i1, "55");
        assertMenu(i2, "option-is-invalid&acme/welcome", "5", "4", "ivr:main-menu:2:2");
        AgiCallResult wrong = press(i2, "*");
        assertEquals(
                "VOICEMAIL", wrong.variable("ROUTE_ACTION"), wrong.commands().toString());
        assertEquals("1001@acme", wrong.variable("ROUTE_TARGET"));
        assertEquals("ivr:main-menu:invalid", wrong.variable("ROUTE_REASON"));

        // the support menu has no direct dial: an extension number is an invalid choice there
        AgiCallResult support = press(menu, "2");
        AgiCallResult notDirect = press(support, "1002");
        assertMenu(notDirect, "acme/support", "4", "1", "ivr:support-menu:1:0");
        AgiCallResult back = press(notDirect, "1002");
        assertMenu(back, "acme/welcome", "5", "4", "ivr:main-menu:0:0");
        assertEquals("ivr:support-menu:invalid", back.variable("ROUTE_REASON"));
    }

    @Test
    void aStepTheAgentDoesNotKnowEndsTheCallWithACause() throws Exception {
        for (String step : List.of("ivr:nosuch:0:0", "ivr:main-menu:x:0", "ivr:main-menu:0", "rg:600")) {
            AgiCallResult r = agi("ivr?tenant=acme&step=" + step + "&digits=1");
            assertEquals("HANGUP", r.variable("ROUTE_ACTION"), step);
            assertEquals("41", r.variable("ROUTE_TARGET"), step);
            assertEquals("unknown-step", r.variable("ROUTE_REASON"), step);
        }
    }

    // ------------------------------------------------------------------------------------------------ validation

    private static RoutingData withMenus(List<RoutingData.IvrMenu> menus) {
        RoutingData s = SampleRoutingData.data();
        return new RoutingData(
                s.version(),
                s.readAtMillis(),
                s.tenants(),
                s.extensions(),
                s.timeConditions(),
                s.ringGroups(),
                s.queues(),
                s.inboundRoutes(),
                s.trunks(),
                s.outboundRoutes(),
                s.blockedCallers(),
                menus);
    }

    private static RoutingData.IvrMenu menu(String name, RoutingData.Destination timeout, RoutingData.IvrOption... o) {
        return new RoutingData.IvrMenu(
                "acme",
                name,
                "acme/" + name,
                null,
                null,
                5,
                1,
                1,
                false,
                new RoutingData.Destination("HANGUP", "16"),
                timeout,
                List.of(o));
    }

    private static RoutingData.IvrOption option(String digits, String type, String ref) {
        return new RoutingData.IvrOption(digits, new RoutingData.Destination(type, ref));
    }

    @Test
    void theSampleMenusCompileWithoutAProblemThoughAnOptionLeadsBackToTheMainMenu() {
        assertEquals(
                List.of(), RoutingCompiler.compile(SampleRoutingData.data()).problems());
    }

    @Test
    void aMenuWithAMissingDestinationIsRefusedAndSoIsEverythingThatLeadsToIt() {
        RoutingSnapshot s = RoutingCompiler.compile(withMenus(List.of(
                menu("main-menu", new RoutingData.Destination("HANGUP", "16"), option("0", "EXTENSION", "299")),
                menu("support-menu", new RoutingData.Destination("IVR", "main-menu"), option("1", "QUEUE", "support")),
                menu("hash", new RoutingData.Destination("HANGUP", "16"), option("#", "EXTENSION", "1001")))));
        assertEquals(
                List.of(
                        "tenant acme: ivr menu main-menu: option 0 destination points at extension 299 which does not"
                                + " exist (refused)",
                        "tenant acme: ivr menu hash: option '#' must be 1-8 of 0-9 * ('#' ends the input) (refused)",
                        "tenant acme: inbound route menu: points at IVR main-menu which does not exist or is refused"
                                + " (refused)",
                        "tenant acme: ivr menu support-menu: points at IVR main-menu which does not exist or is refused"
                                + " (refused)"),
                s.problems());
        Tenant acme = s.tenant("acme");
        assertNull(acme.ivr("main-menu"));
        assertNull(acme.ivr("support-menu"));
        assertNull(acme.ivr("hash"));
        assertNull(acme.route("menu"));
        // the rest of the tenant still routes
        assertEquals("DIAL", call(s, "route?tenant=acme&did=100").get("ROUTE_ACTION"));
    }

    @Test
    void menusWhoseFailureDestinationsLeadBackToThemselvesAreALoop() {
        RoutingSnapshot s = RoutingCompiler.compile(withMenus(List.of(
                menu("main-menu", new RoutingData.Destination("IVR", "support-menu"), option("1", "EXTENSION", "1001")),
                menu("support-menu", new RoutingData.Destination("ROUTE", "back"), option("9", "IVR", "main-menu")),
                menu("self", new RoutingData.Destination("IVR", "self"), option("1", "EXTENSION", "1001")))));
        RoutingData d = s.data();
        List<RoutingData.InboundRoute> routes = new ArrayList<>(d.inboundRoutes());
        routes.add(new RoutingData.InboundRoute(
                "acme", "back", null, null, 100, new RoutingData.Destination("IVR", "main-menu")));
        RoutingSnapshot looped = RoutingCompiler.compile(new RoutingData(
                d.version(),
                d.readAtMillis(),
                d.tenants(),
                d.extensions(),
                d.timeConditions(),
                d.ringGroups(),
                d.queues(),
                routes,
                d.trunks(),
                d.outboundRoutes(),
                d.blockedCallers(),
                d.ivrMenus()));
        List<String> p = looped.problems();
        assertTrue(
                p.contains("tenant acme: loop: route back -> ivr menu main-menu -> ivr menu support-menu -> route back"
                        + " (every entry on it refused)"),
                p.toString());
        assertTrue(
                p.contains("tenant acme: loop: ivr menu self -> ivr menu self (every entry on it refused)"),
                p.toString());
        Tenant acme = looped.tenant("acme");
        assertNull(acme.ivr("main-menu"));
        assertNull(acme.ivr("support-menu"));
        assertNull(acme.ivr("self"));
        assertEquals("HANGUP", call(looped, "route?tenant=acme&did=4930555099").get("ROUTE_ACTION"));
    }

    @Test
    void menusSurviveTheDiskSnapshotAndAnOlderSnapshotWithoutMenusStillLoads(@TempDir Path dir) throws Exception {
        SnapshotFile file = new SnapshotFile(dir.resolve("routing.snapshot"));
        RoutingData data = SampleRoutingData.data();
        file.write(data);
        assertEquals(data, file.read());

        // a file written before menus existed has no ivrMenus at all
        ObjectMapper json = new ObjectMapper();
        ObjectNode tree = json.valueToTree(withMenus(List.of()));
        tree.remove("ivrMenus");
        byte[] body = json.writeValueAsBytes(tree);
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        byte[] header = (SnapshotFile.MAGIC + " " + SnapshotFile.FORMAT + " " + body.length + " " + sha + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        Files.write(file.path(), header);
        Files.write(file.path(), body, java.nio.file.StandardOpenOption.APPEND);
        RoutingData old = file.read();
        assertEquals(List.of(), old.ivrMenus());
        assertEquals(data.extensions(), old.extensions());
        assertEquals(
                "HANGUP",
                call(RoutingCompiler.compile(old), "route?tenant=acme&did=4930555099")
                        .get("ROUTE_ACTION"));
    }

    private static org.pbxagent.fastagi.RouteDecision call(RoutingSnapshot s, String script) {
        CallRouter router = new CallRouter(
                new CallRouter.State(s, false), Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        return router.route(Calls.request(script, "5550002"));
    }
}
