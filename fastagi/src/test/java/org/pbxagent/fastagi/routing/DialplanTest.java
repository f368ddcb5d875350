package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.RouteAction;
import org.pbxagent.fastagi.data.SampleRoutingData;

/**
 * Reads etc/asterisk/extensions.conf the way Asterisk's config parser does (contexts, {@code exten =>}, {@code same
 * => n}, labels) and checks that it executes every answer the router can give, and still routes a call when the
 * agent is unreachable or silent.
 */
class DialplanTest {
    /** context → extension → priorities in order (label or null, application line) */
    static final Map<String, Map<String, List<String[]>>> plan = new LinkedHashMap<>();

    static final Map<String, String> globals = new LinkedHashMap<>();

    @BeforeAll
    static void parse() throws IOException {
        Path file = Path.of("..", "etc", "asterisk", "extensions.conf");
        assertTrue(Files.exists(file), "dialplan at " + file.toAbsolutePath());
        String context = null;
        String exten = null;
        Pattern ext = Pattern.compile("exten\\s*=>\\s*([^,]+),\\s*(\\d+)(?:\\(([^)]+)\\))?,(.*)");
        Pattern same = Pattern.compile("same\\s*=>\\s*n(?:\\(([^)]+)\\))?,(.*)");
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                context = line.substring(1, line.indexOf(']'));
                plan.put(context, new LinkedHashMap<>());
                continue;
            }
            if ("globals".equals(context)) {
                int eq = line.indexOf('=');
                globals.put(
                        line.substring(0, eq).strip(), line.substring(eq + 1).strip());
                continue;
            }
            Matcher m = ext.matcher(line);
            if (m.matches()) {
                exten = m.group(1).strip();
                assertEquals("1", m.group(2), "first priority of " + context + "," + exten);
                List<String[]> prios = new ArrayList<>();
                prios.add(new String[] {m.group(3), m.group(4).strip()});
                assertTrue(plan.get(context).put(exten, prios) == null, "duplicate " + context + "," + exten);
                continue;
            }
            m = same.matcher(line);
            assertTrue(m.matches(), "unparsed line: " + line);
            assertNotNull(exten, "same => before any exten: " + line);
            plan.get(context)
                    .get(exten)
                    .add(new String[] {m.group(1), m.group(2).strip()});
        }
    }

    static List<String[]> ext(String context, String exten) {
        Map<String, List<String[]>> c = plan.get(context);
        assertNotNull(c, "context [" + context + "]");
        List<String[]> p = c.get(exten);
        assertNotNull(p, "extension " + exten + " in [" + context + "]");
        return p;
    }

    /** Every ROUTE_ACTION value, by name. */
    private static final List<String> ACTIONS =
            Arrays.stream(RouteAction.values()).map(Enum::name).toList();

    @Test
    void everyActionTheRouterCanAnswerHasABranch() {
        assertEquals(
                new TreeSet<>(ACTIONS),
                new TreeSet<>(plan.get("route-action").keySet()),
                "[route-action] holds exactly one extension per ROUTE_ACTION");
        // the router never answers an action outside that list, for any call on the sample data
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        Set<String> seen = new TreeSet<>();
        for (String tenant : List.of("acme", "default", "nosuch")) {
            for (String n : List.of(
                    "100",
                    "199",
                    "200",
                    "600",
                    "601",
                    "1001",
                    "1002",
                    "4930555000",
                    "2125551234",
                    "112",
                    "0301234",
                    "9301234",
                    "77",
                    "4930555099",
                    "x'--")) {
                seen.add(router.route(Calls.request("route?tenant=" + tenant + "&did=" + n, "5550001"))
                        .get("ROUTE_ACTION"));
                seen.add(router.outbound(Calls.request("outbound?tenant=" + tenant + "&number=" + n, "1001"))
                        .get("ROUTE_ACTION"));
                for (String digits : List.of("", "1", "2", "9", "1002", n)) {
                    for (String step : List.of("ivr:main-menu:0:0", "ivr:main-menu:2:2", "ivr:support-menu:1:1")) {
                        seen.add(router.ivr(Calls.request(
                                        "ivr?tenant=" + tenant + "&step=" + step + "&digits=" + digits, "5550001"))
                                .get("ROUTE_ACTION"));
                    }
                }
                for (String status : List.of("BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "ANSWER", "TIMEOUT")) {
                    for (String step :
                            List.of("ext:" + n, "rg:600", "rg:601:0", "rg:601:1", "q:support", "out:pstn:0:" + n)) {
                        seen.add(router.next(Calls.request(
                                        "next?tenant=" + tenant + "&step=" + step + "&dialstatus=" + status, "5550001"))
                                .get("ROUTE_ACTION"));
                    }
                }
            }
        }
        // the feature script's answers that need no DB write (voicemail access, refusals)
        FeatureCodes codes = new FeatureCodes(null, () -> router, java.time.Duration.ofSeconds(1));
        for (String code : List.of("*97", "*98", "*72", "*00")) {
            codes.decide(
                    Calls.request("feature?tenant=acme&ext=1001&code=" + code, "1001"),
                    d -> seen.add(d.get("ROUTE_ACTION")));
        }
        codes.close();
        assertTrue(ACTIONS.containsAll(seen), seen.toString());
        assertEquals(new TreeSet<>(ACTIONS), seen, "the sample data exercises every action");
    }

    @Test
    void everyAgentCallIsFollowedByTheAnswerHandler() {
        Pattern agi = Pattern.compile("AGI\\(agi://\\$\\{AGENT\\}/(\\w+)\\?(.*)\\)");
        Set<String> scripts = new TreeSet<>();
        for (var c : plan.entrySet()) {
            for (var e : c.getValue().entrySet()) {
                List<String[]> p = e.getValue();
                for (int i = 0; i < p.size(); i++) {
                    Matcher m = agi.matcher(p.get(i)[1]);
                    if (p.get(i)[1].startsWith("AGI(")) {
                        assertTrue(m.matches(), p.get(i)[1]);
                        scripts.add(m.group(1));
                        assertFalse(m.group(2).contains(","), "commas end the AGI URL: " + p.get(i)[1]);
                        assertTrue(m.group(2).contains("tenant=${URIENCODE(${ROUTE_TENANT})}"), p.get(i)[1]);
                        assertEquals("Goto(route-exec,s,1)", p.get(i + 1)[1], "after " + p.get(i)[1]);
                        assertEquals("Gosub(route-clear,s,1)", p.get(i - 1)[1], "old answer cleared first");
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(List.of("feature", "ivr", "next", "outbound", "route")), scripts);
        Set<String> served = new TreeSet<>(RoutingService.SCRIPTS);
        served.add(FeatureCodes.NAME);
        assertEquals(served, scripts, "the dialplan calls every script served");
        assertEquals("127.0.0.1:4573", globals.get("AGENT"));
    }

    @Test
    void routeClearEmptiesEveryVariableAnAnswerCanSetAndAgiExecFull() {
        Set<String> cleared = new TreeSet<>();
        for (String[] p : ext("route-clear", "s")) {
            Matcher m = Pattern.compile("MSet\\((.*)\\)").matcher(p[1]);
            if (!m.matches()) {
                continue;
            }
            for (String pair : m.group(1).split(",")) {
                assertTrue(pair.endsWith("="), "cleared to empty: " + pair);
                cleared.add(pair.substring(0, pair.length() - 1));
            }
        }
        // The answer's values go through EXEC MSet: with AGIEXECFULL set, res_agi would expand ${...} in them.
        assertTrue(cleared.contains("AGIEXECFULL"), cleared.toString());
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        Set<String> answered = new TreeSet<>();
        for (var d : List.of(
                router.route(Calls.request("route?tenant=acme&did=100", "5550001")),
                router.outbound(Calls.request("outbound?tenant=acme&number=0301234", "1001")),
                router.next(Calls.request("next?tenant=acme&step=ext:1001&dialstatus=BUSY", "5550001")),
                router.route(Calls.request("route?tenant=acme&did=4930555099", "5550001")),
                router.ivr(Calls.request("ivr?tenant=acme&step=ivr:main-menu:0:0&digits=7", "5550001")))) {
            for (int i = 0; i < d.size(); i++) {
                answered.add(d.name(i));
            }
        }
        answered.remove("ROUTE_TENANT"); // kept on purpose: the tenant of the call, inherited by later steps
        assertTrue(cleared.containsAll(answered), "not cleared: " + answered + " vs " + cleared);
        assertTrue(
                answered.containsAll(List.of("ROUTE_ACTION", "ROUTE_CALLERID_NUM", "ROUTE_LIMIT", "ROUTE_IVR_MAX")),
                answered.toString());
    }

    @Test
    void unreachableOrSilentAgentStillRoutesTheCall() {
        List<String[]> exec = ext("route-exec", "s");
        List<String> apps = exec.stream().map(p -> p[1]).toList();
        int failure = apps.indexOf("GotoIf($[\"${AGISTATUS}\" != \"SUCCESS\"]?route-fallback,failure,1)");
        int silent = apps.indexOf("GotoIf($[\"${ROUTE_ACTION}\" = \"\"]?route-fallback,silent,1)");
        int apply = apps.indexOf("Goto(route-action,${ROUTE_ACTION},1)");
        assertTrue(failure > 0 && silent > failure && apply > silent, apps.toString());
        // an unknown action is not executed blindly
        assertTrue(apps.contains("Goto(route-fallback,unknown,1)"));

        // both fallbacks end up in "try": dial the number directly (or FALLBACK_DIAL), then a clear cause
        assertEquals(
                "Goto(route-fallback,try,1)", ext("route-fallback", "failure").get(1)[1]);
        assertEquals(
                "Goto(route-fallback,silent,1)".replace("silent", "try"),
                ext("route-fallback", "silent").get(1)[1]);
        List<String> tryApps =
                ext("route-fallback", "try").stream().map(p -> p[1]).toList();
        assertTrue(tryApps.contains("Dial(${FALLBACK_TECH}/${ROUTE_DID},${FALLBACK_RING})"), tryApps.toString());
        assertTrue(tryApps.contains("Dial(${FALLBACK_DIAL},${FALLBACK_RING})"), tryApps.toString());
        assertTrue(tryApps.contains("Hangup(34)"), "no fallback target: congestion cause");
        List<String> endApps =
                ext("route-fallback", "end").stream().map(p -> p[1]).toList();
        assertTrue(endApps.containsAll(List.of("Hangup(41)", "Hangup(17)", "Hangup(19)")), endApps.toString());
        assertTrue(ext("route-fallback", "steps").stream().anyMatch(p -> p[1].equals("Hangup(41)")));
        assertTrue(globals.containsKey("FALLBACK_TECH") && globals.containsKey("MAX_STEPS"));
    }

    @Test
    void dialAndQueueHandTheirResultToNextAndRespectTheCallLimit() {
        List<String> dial = ext("route-action", "DIAL").stream().map(p -> p[1]).toList();
        assertTrue(dial.contains("Dial(${ROUTE_TARGET},${ROUTE_TIMEOUT},${ROUTE_OPTIONS})"), dial.toString());
        assertTrue(dial.contains("Set(ROUTE_RESULT=${DIALSTATUS})"));
        assertTrue(dial.contains("Set(ROUTE_RESULT=BUSY)"), "over the limit counts as busy");
        assertTrue(dial.stream().anyMatch(a -> a.contains("GROUP_COUNT(${ROUTE_LIMIT_GROUP}@route-limit)")));
        List<String> queue =
                ext("route-action", "QUEUE").stream().map(p -> p[1]).toList();
        assertTrue(queue.contains("Set(ROUTE_RESULT=${QUEUESTATUS})"));
        List<String> next = ext("route-next", "s").stream().map(p -> p[1]).toList();
        assertTrue(
                next.stream()
                        .anyMatch(a -> a.contains("step=${URIENCODE(${ROUTE_PREV_STEP})}")
                                && a.contains("dialstatus=${URIENCODE(${ROUTE_RESULT})}")),
                next.toString());
        List<String> clear = ext("route-clear", "s").stream().map(p -> p[1]).toList();
        for (String v : List.of(
                "ROUTE_ACTION",
                "ROUTE_TARGET",
                "ROUTE_TIMEOUT",
                "ROUTE_OPTIONS",
                "ROUTE_STEP",
                "ROUTE_REASON",
                "ROUTE_DEGRADED",
                "ROUTE_CALLERID_NUM",
                "ROUTE_CALLERID_NAME",
                "ROUTE_LIMIT",
                "ROUTE_LIMIT_GROUP")) {
            assertTrue(clear.stream().anyMatch(a -> a.contains(v + "=,") || a.contains(v + "=)")), v);
        }
    }

    /**
     * An IVR answer is played and read by the dialplan with no AGI session open, and the digits (empty after a
     * timeout) go back to the "ivr" script with the step; menu steps have their own bound.
     */
    @Test
    void anIvrStepReadsTheDigitsWithoutTheAgentAndHandsThemToTheIvrScript() {
        List<String> ivr = ext("route-action", "IVR").stream().map(p -> p[1]).toList();
        int clear = ivr.indexOf("Set(ROUTE_IVR_INPUT=)");
        int read = ivr.indexOf("Read(ROUTE_IVR_INPUT,${ROUTE_TARGET},${ROUTE_IVR_MAX},,1,${ROUTE_TIMEOUT})");
        int back = ivr.indexOf("Goto(route-ivr,s,1)");
        assertTrue(clear >= 0 && read > clear && back == read + 1, ivr.toString());
        assertFalse(ivr.stream().anyMatch(a -> a.startsWith("AGI(")), "no AGI session while the caller chooses");

        List<String> step = ext("route-ivr", "s").stream().map(p -> p[1]).toList();
        assertTrue(
                step.stream()
                        .anyMatch(a -> a.startsWith("AGI(agi://${AGENT}/ivr?")
                                && a.contains("step=${URIENCODE(${ROUTE_PREV_STEP})}")
                                && a.contains("digits=${URIENCODE(${ROUTE_IVR_INPUT})}")),
                step.toString());
        assertTrue(
                step.indexOf("Set(ROUTE_PREV_STEP=${ROUTE_STEP})") < step.indexOf("Gosub(route-clear,s,1)"),
                step.toString());
        assertTrue(
                step.contains("GotoIf($[${ROUTE_IVR_STEPS} > ${MAX_IVR_STEPS}]?route-fallback,ivr-steps,1)"),
                step.toString());
        assertTrue(ext("route-fallback", "ivr-steps").stream().anyMatch(p -> p[1].equals("Hangup(41)")));
        assertTrue(globals.containsKey("MAX_IVR_STEPS"));

        // the answer the dialplan reads: a prompt, a digit timeout, the most digits, a step for the ivr script
        CallRouter router = new CallRouter(
                new CallRouter.State(RoutingCompiler.compile(SampleRoutingData.data()), false),
                Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC));
        var d = router.route(Calls.request("route?tenant=acme&did=4930555099", "5550001"));
        assertEquals("IVR", d.get("ROUTE_ACTION"), d.toString());
        assertEquals("acme/welcome", d.get("ROUTE_TARGET"));
        assertEquals("5", d.get("ROUTE_TIMEOUT"));
        assertEquals("4", d.get("ROUTE_IVR_MAX"), "direct dial reads as many digits as the longest extension");
        assertEquals("ivr:main-menu:0:0", d.get("ROUTE_STEP"));
    }

    /** Asterisk splits application arguments on commas: comma-free messages never depend on how Log joins them. */
    @Test
    void logMessagesHaveNoComma() {
        Pattern log = Pattern.compile("Log\\((\\w+),([^)]*(\\([^)]*\\)[^)]*)*)\\)");
        int logs = 0;
        for (var c : plan.values()) {
            for (var e : c.values()) {
                for (String[] p : e) {
                    Matcher m = log.matcher(p[1]);
                    while (m.find()) {
                        logs++;
                        assertFalse(m.group(2).contains(","), p[1]);
                    }
                }
            }
        }
        assertTrue(logs >= 4, "fallback paths log why");
    }

    @Test
    void everyGotoTargetExists() {
        // Every Goto, Gosub and GotoIf of a line is checked, and the jumps checked must be every "Goto"/"Gosub"
        // written: a jump in a form this reader does not know fails instead of passing unchecked.
        Pattern app = Pattern.compile("\\b(GotoIf|Goto|Gosub)\\(");
        Pattern written = Pattern.compile("Goto|Gosub");
        int writtenCount = 0;
        int checked = 0;
        for (var c : plan.entrySet()) {
            for (var e : c.getValue().entrySet()) {
                for (String[] p : e.getValue()) {
                    writtenCount += (int) written.matcher(p[1]).results().count();
                    Matcher m = app.matcher(p[1]);
                    while (m.find()) {
                        String args = balancedArgs(p[1], m.end());
                        assertNotNull(args, "unbalanced " + m.group(1) + " in " + p[1]);
                        List<String> targets = new ArrayList<>();
                        if (m.group(1).equals("GotoIf")) {
                            int q = topLevel(args, '?');
                            assertTrue(q >= 0, "GotoIf without ? in " + p[1]);
                            String dest = args.substring(q + 1);
                            int colon = topLevel(dest, ':');
                            for (String t : colon < 0
                                    ? List.of(dest)
                                    : List.of(dest.substring(0, colon), dest.substring(colon + 1))) {
                                if (!t.isBlank()) {
                                    targets.add(t.strip());
                                }
                            }
                            assertFalse(targets.isEmpty(), "GotoIf with no destination in " + p[1]);
                        } else {
                            targets.add(args.strip());
                        }
                        for (String t : targets) {
                            checkTarget(c.getKey(), e.getKey(), e.getValue(), t);
                        }
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked >= 30, "the dialplan's jumps were read: " + checked + " checked");
        assertEquals(writtenCount, checked, "every Goto/Gosub written is checked");
    }

    /** A jump target: {@code context,exten,prio}, {@code exten,prio} or a label of the same extension. */
    private static void checkTarget(String context, String exten, List<String[]> priorities, String target) {
        // Gosub's arguments ride on the priority: route-clear,s,1(a,b) → route-clear,s,1
        String t = target.replaceAll("\\(.*\\)$", "");
        String[] parts = t.split(",", -1);
        if (parts.length == 3) {
            if (!parts[1].contains("$")) {
                ext(parts[0], parts[1]);
            } else {
                assertNotNull(plan.get(parts[0]), "context of " + target);
            }
        } else if (parts.length == 2) {
            ext(context, parts[0]);
        } else {
            assertTrue(
                    priorities.stream().anyMatch(q -> t.equals(q[0])), "label " + t + " in " + context + "," + exten);
        }
    }

    /** The text inside the parenthesis opened just before {@code from}, or null when it is not closed. */
    private static String balancedArgs(String line, int from) {
        int depth = 1;
        for (int i = from; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '(') {
                depth++;
            } else if (ch == ')' && --depth == 0) {
                return line.substring(from, i);
            }
        }
        return null;
    }

    /** Index of {@code ch} outside any (), [] or {}, or -1. */
    private static int topLevel(String s, char ch) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ch && depth == 0) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void everyFeatureCodeReachesTheFeatureScriptWithTheCallersOwnCallerId() {
        Map<String, List<String[]>> internal = plan.get("from-internal");
        for (FeatureCodes.Code code : FeatureCodes.Code.values()) {
            String exten = code.takesNumber ? "_" + code.digits + "." : code.digits;
            List<String[]> p = internal.get(exten);
            assertNotNull(p, "from-internal has " + exten);
            assertEquals("MSet(ROUTE_FEATURE=${EXTEN:0:3},ROUTE_FEATURE_NUMBER=${EXTEN:3})", p.get(0)[1], exten);
            assertEquals("Goto(route-feature,s,1)", p.get(1)[1], exten);
        }
        String agi = plan.get("route-feature").get("s").stream()
                .map(x -> x[1])
                .filter(x -> x.startsWith("AGI("))
                .findFirst()
                .orElseThrow();
        // the extension changed is the channel's caller ID, the digits only give the code and the number
        assertTrue(agi.contains("&ext=${URIENCODE(${CALLERID(num)})}&code=${URIENCODE(${ROUTE_FEATURE})}"), agi);
    }
}
