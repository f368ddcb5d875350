package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;
import org.pbxagent.fastagi.data.TestDatabase;

/** Every routing feature, read from a real MariaDB through the RoutingService the daemon uses. */
class CallRoutingTest {
    static TestDatabase db;
    static Path dir;
    static RoutingService service;
    static Map<String, DecisionScript> scripts;
    static final MutableClock clock = new MutableClock(java.time.Instant.parse("2026-11-24T15:00:00Z"));

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.start();
        RoutingSchema.migrate(db.dataSource());
        SampleRoutingData.load(db.dataSource());
        LabData.load(db);
        dir = Files.createTempDirectory("routing-test");
        service = new RoutingService(db.dataSource(), dir.resolve("routing.snapshot"), Duration.ofMillis(500), clock);
        service.start();
        scripts = service.scripts();
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
        }
        if (db != null) {
            db.close();
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    @BeforeEach
    void tuesdayMorningInNewYork() {
        clock.set("2026-11-24T15:00:00Z"); // Tue 10:00 New York, 16:00 Berlin
    }

    static RouteDecision call(String script, String callerId, String... args) {
        AgiRequest r = Calls.request(script, callerId, args);
        return scripts.get(r.script()).decide(r);
    }

    static void assertAnswer(RouteDecision d, String action, String target) {
        assertEquals(action, d.get("ROUTE_ACTION"), d.toString());
        assertEquals(target, d.get("ROUTE_TARGET"), d.toString());
        assertEquals("0", d.get("ROUTE_DEGRADED"), d.toString());
    }

    /** The request exactly as Asterisk 20 sent it in the recorded session (environment block and arguments). */
    @Test
    void theRecordedAsteriskRequestGetsTheRecordedAnswer() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/test/resources/asterisk-20/agi-sessions.txt"));
        int start = lines.indexOf("##### session: agi://127.0.0.1:4573/route?tenant=acme&did=100");
        assertTrue(start >= 0, "recorded session present");
        Map<String, String> env = new LinkedHashMap<>();
        List<String> args = new ArrayList<>();
        for (int i = start + 1; !lines.get(i).equals("A> "); i++) {
            String kv = lines.get(i).substring(3);
            int colon = kv.indexOf(": ");
            String key = kv.substring(0, colon).substring("agi_".length());
            String value = kv.substring(colon + 2);
            if (key.startsWith("arg_")) {
                args.add(value);
            } else {
                env.put(key, value);
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        String networkScript = env.get("network_script");
        for (String kv : networkScript.substring(networkScript.indexOf('?') + 1).split("&")) {
            params.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        AgiRequest request = new AgiRequest("route", params, args, env);
        RouteDecision d = scripts.get("route").decide(request);
        // the recorded server answered SET VARIABLE ROUTE_ACTION "DIAL" and ROUTE_TARGET "SIP/1001"
        assertAnswer(d, "DIAL", "SIP/1001");
        assertEquals("5551234", request.callerIdNumber());
    }

    @Test
    void theRecordedSessionGetsItsAnswer() {
        RouteDecision d = call("route?tenant=acme&did=100", "5551234", "arg1", "arg two");
        assertAnswer(d, "DIAL", "SIP/1001");
        assertEquals("20", d.get("ROUTE_TIMEOUT"));
        assertEquals("ext:1001", d.get("ROUTE_STEP"));
        assertEquals("acme", d.get("ROUTE_TENANT"));
        assertEquals("ROUTE_ACTION", d.name(d.size() - 1), "ROUTE_ACTION is set last");
        assertTrue(
                service.status().problems().isEmpty(),
                service.status().problems().toString());
    }

    @Test
    void exactDidBeatsPatternsAndCatchAllHangsUpUnallocated() {
        assertAnswer(call("route?tenant=lab&did=5000", "5550001"), "DIAL", "SIP/2001");
        RouteDecision d = call("route?tenant=lab&did=777", "5550001");
        assertAnswer(d, "HANGUP", "1");
        assertEquals("route:catchall", d.get("ROUTE_REASON"));
        assertAnswer(call("route?tenant=lab&did=6", "5550001"), "HANGUP", "1"); // one digit: _X. needs two
        assertEquals("no-route", call("route?tenant=lab&did=6", "5550001").get("ROUTE_REASON"));
    }

    @Test
    void nanpPatternAndCharacterSet() {
        RouteDecision d = call("route?tenant=lab&did=2125551234", "5550001");
        assertAnswer(d, "DIAL", "SIP/2001&SIP/2006"); // 2002 is on DND: left out of ring-all
        assertEquals(
                "route:catchall",
                call("route?tenant=lab&did=0125551234", "5550001").get("ROUTE_REASON"),
                "0 is not N");
        assertEquals(
                "route:catchall",
                call("route?tenant=lab&did=2121551234", "5550001").get("ROUTE_REASON"),
                "1 is not N in the exchange");
        assertAnswer(call("route?tenant=lab&did=3", "5550001"), "VOICEMAIL", "2001@lab");
        assertAnswer(call("route?tenant=lab&did=5", "5550001"), "VOICEMAIL", "2001@lab");
        assertAnswer(call("route?tenant=acme&did=300", "5550001"), "DIAL", "SIP/1002"); // _[2-5]00 hunt group
        assertEquals(
                "route:unallocated",
                call("route?tenant=acme&did=600", "5550001").get("ROUTE_REASON"));
    }

    @Test
    void callerIdSpecificRoute() {
        assertAnswer(call("route?tenant=lab&did=5000", "5551212"), "PLAYBACK", "welcome-vip");
        assertAnswer(call("route?tenant=lab&did=5000", "5551213"), "DIAL", "SIP/2001");
        assertAnswer(call("route?tenant=acme&did=4930555000", "01711234567"), "DIAL", "SIP/1002");
    }

    @Test
    void timeConditionInTheTenantsZoneWithHoliday() {
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "DIAL", "SIP/2001");
        clock.set("2026-11-24T13:59:59Z"); // 08:59:59 in New York: closed although 14:59 in Berlin
        RouteDecision closed = call("route?tenant=lab&did=6000", "5550001");
        assertAnswer(closed, "PLAYBACK", "closed");
        assertEquals("route:closed", closed.get("ROUTE_REASON"));
        clock.set("2026-11-24T14:00:00Z"); // 09:00 New York
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "DIAL", "SIP/2001");
        clock.set("2026-11-24T22:00:00Z"); // 17:00 New York: end is exclusive
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "PLAYBACK", "closed");
        clock.set("2026-11-26T15:00:00Z"); // Thanksgiving, Thursday 10:00
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "PLAYBACK", "closed");
        clock.set("2026-11-28T15:00:00Z"); // Saturday
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "PLAYBACK", "closed");
        // dated exceptions with hours: special hours replace the weekly ones, a closed period cuts into them
        clock.set("2026-12-24T15:00:00Z"); // Thu 10:00 New York, inside 09:00-12:00
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "DIAL", "SIP/2001");
        clock.set("2026-12-24T18:00:00Z"); // Thu 13:00: a normal Thursday would be open
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "PLAYBACK", "closed");
        clock.set("2026-12-31T15:00:00Z"); // Thu 10:00: weekly hours still apply before 13:00
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "DIAL", "SIP/2001");
        clock.set("2026-12-31T19:00:00Z"); // Thu 14:00: closed period
        assertAnswer(call("route?tenant=lab&did=6000", "5550001"), "PLAYBACK", "closed");

        // acme, Europe/Berlin: open → ring group 600, closed → route after-hours → voicemail 1001
        clock.set("2026-11-24T08:00:00Z"); // 09:00 Berlin
        assertAnswer(call("route?tenant=acme&did=4930555000", "5550001"), "DIAL", "SIP/1001&SIP/1002&SIP/1003");
        clock.set("2026-12-25T09:00:00Z"); // Christmas Day, Friday 10:00
        RouteDecision xmas = call("route?tenant=acme&did=4930555000", "5550001");
        assertAnswer(xmas, "VOICEMAIL", "1001@acme");
        assertEquals("route:after-hours", xmas.get("ROUTE_REASON"));
        clock.set("2026-12-19T20:00:00Z"); // special opening on a Saturday: open all day
        assertAnswer(call("route?tenant=acme&did=4930555000", "5550001"), "DIAL", "SIP/1001&SIP/1002&SIP/1003");
        // daylight saving time: 08:00 Berlin is 07:00Z in winter and 06:00Z in summer
        clock.set("2026-03-27T06:30:00Z"); // Friday 07:30 CET: before opening
        assertAnswer(call("route?tenant=acme&did=4930555000", "5550001"), "VOICEMAIL", "1001@acme");
        clock.set("2026-03-30T06:30:00Z"); // Monday 08:30 CEST: open
        assertAnswer(call("route?tenant=acme&did=4930555000", "5550001"), "DIAL", "SIP/1001&SIP/1002&SIP/1003");
    }

    @Test
    void ringAllThenNoAnswerDestination() {
        RouteDecision d = call("route?tenant=lab&did=2125551234", "5550001");
        assertEquals("rg:700", d.get("ROUTE_STEP"));
        assertEquals("30", d.get("ROUTE_TIMEOUT"));
        assertAnswer(call("next?tenant=lab&step=rg:700&dialstatus=NOANSWER", "5550001"), "HANGUP", "19");
        assertAnswer(call("next?tenant=lab&step=rg:700&dialstatus=ANSWER", "5550001"), "HANGUP", "16");
    }

    @Test
    void huntSkipsDndAndGoesDownTheList() {
        RouteDecision d = call("route?tenant=lab&did=7010", "5550001");
        assertAnswer(d, "DIAL", "SIP/2001");
        assertEquals("rg:701:1", d.get("ROUTE_STEP"));
        assertEquals("12", d.get("ROUTE_TIMEOUT"));
        RouteDecision second = call("next?tenant=lab&step=rg:701:1&dialstatus=NOANSWER", "5550001");
        assertAnswer(second, "DIAL", "SIP/2006");
        assertEquals("rg:701:2", second.get("ROUTE_STEP"));
        assertAnswer(call("next?tenant=lab&step=rg:701:2&dialstatus=BUSY", "5550001"), "PLAYBACK", "vm-goodbye");
    }

    @Test
    void doNotDisturb() {
        RouteDecision vm = call("outbound?tenant=lab&ext=2001&number=2002", "2001");
        assertAnswer(vm, "VOICEMAIL", "2002@lab");
        assertEquals("b", vm.get("ROUTE_OPTIONS"), "busy greeting");
        assertEquals("dnd", vm.get("ROUTE_REASON"));
        assertAnswer(call("outbound?tenant=lab&ext=2001&number=2003", "2001"), "BUSY", "");
    }

    @Test
    void forwardingOfAllThreeKinds() {
        RouteDecision always = call("outbound?tenant=lab&ext=2006&number=2004", "2006");
        assertAnswer(always, "DIAL", "SIP/2001");
        assertEquals("forward-always", always.get("ROUTE_REASON"));
        assertEquals("ext:2001", always.get("ROUTE_STEP"), "the forwarded-to phone's busy/no-answer rules apply");
        RouteDecision outside = call("outbound?tenant=lab&ext=2006&number=2005", "2006");
        assertAnswer(outside, "DIAL", "PJSIP/+33111222@t1");
        assertEquals("out:intl:0:0033111222", outside.get("ROUTE_STEP"));

        RouteDecision busy = call("next?tenant=acme&step=ext:1002&dialstatus=BUSY", "5550001");
        assertAnswer(busy, "DIAL", "SIP/1003");
        assertEquals("forward-busy", busy.get("ROUTE_REASON"));
        RouteDecision noAnswer = call("next?tenant=acme&step=ext:1002&dialstatus=NOANSWER", "5550001");
        assertAnswer(noAnswer, "DIAL", "SIP/1003");
        assertEquals("forward-no-answer", noAnswer.get("ROUTE_REASON"));
        assertAnswer(
                call("next?tenant=lab&step=ext:2007&dialstatus=NOANSWER", "5550001"), "DIAL", "PJSIP/+33999888@t1");
        assertAnswer(call("next?tenant=lab&step=ext:2007&dialstatus=BUSY", "5550001"), "DIAL", "SIP/2006");

        // without forwarding: voicemail with the matching greeting, else a clear end
        RouteDecision vmBusy = call("next?tenant=lab&step=ext:2001&dialstatus=BUSY", "5550001");
        assertAnswer(vmBusy, "VOICEMAIL", "2001@lab");
        assertEquals("b", vmBusy.get("ROUTE_OPTIONS"));
        RouteDecision vmUnavail = call("next?tenant=lab&step=ext:2001&dialstatus=CHANUNAVAIL", "5550001");
        assertAnswer(vmUnavail, "VOICEMAIL", "2001@lab");
        assertEquals("u", vmUnavail.get("ROUTE_OPTIONS"));
        assertAnswer(call("next?tenant=lab&step=ext:2006&dialstatus=NOANSWER", "5550001"), "HANGUP", "19");
        assertAnswer(call("next?tenant=lab&step=ext:2006&dialstatus=BUSY", "5550001"), "BUSY", "");
        assertAnswer(call("next?tenant=lab&step=ext:2006&dialstatus=CHANUNAVAIL", "5550001"), "CONGESTION", "");
        assertAnswer(call("next?tenant=lab&step=ext:2006&dialstatus=CANCEL", "5550001"), "HANGUP", "16");
    }

    @Test
    void callLimitIsHandedToTheDialplan() {
        RouteDecision d = call("route?tenant=lab&did=5000", "5550001");
        assertEquals("3", d.get("ROUTE_LIMIT"));
        assertEquals("lab-2001", d.get("ROUTE_LIMIT_GROUP"));
        RouteDecision acme = call("route?tenant=acme&did=100", "5550001");
        assertEquals("2", acme.get("ROUTE_LIMIT"));
        assertNull(call("outbound?tenant=lab&ext=2001&number=2006", "2001").get("ROUTE_LIMIT"), "no limit set");
        // the dialplan turns an exceeded limit into DIALSTATUS=BUSY for next
        assertAnswer(call("next?tenant=lab&step=ext:2001&dialstatus=BUSY", "5550001"), "VOICEMAIL", "2001@lab");
    }

    @Test
    void blocklistExactAndPattern() {
        RouteDecision exact = call("route?tenant=lab&did=5000", "5550666");
        assertAnswer(exact, "HANGUP", "21");
        assertEquals("blocked", exact.get("ROUTE_REASON"));
        assertAnswer(call("route?tenant=lab&did=5000", "19005551234"), "HANGUP", "21");
        assertAnswer(call("route?tenant=lab&did=5000", "18005551234"), "DIAL", "SIP/2001");
        assertAnswer(call("route?tenant=acme&did=100", "09001234"), "HANGUP", "21");
        assertAnswer(call("route?tenant=acme&did=100", "5550000"), "HANGUP", "21");
        assertAnswer(call("route?tenant=lab&did=5000", "5550666x"), "DIAL", "SIP/2001");
    }

    @Test
    void outboundPriorityStripPrependAndCallerId() {
        RouteDecision cheap = call("outbound?tenant=lab&ext=2001&number=00441234567", "2001");
        assertAnswer(cheap, "DIAL", "PJSIP/00441234567@t3");
        assertEquals("out:cheap:0:00441234567", cheap.get("ROUTE_STEP"));
        assertEquals("2125550100", cheap.get("ROUTE_CALLERID_NUM"), "the extension's own outbound caller ID");

        RouteDecision intl = call("outbound?tenant=lab&ext=2006&number=0033123456", "2006");
        assertAnswer(intl, "DIAL", "PJSIP/+33123456@t1");
        assertEquals("2125550000", intl.get("ROUTE_CALLERID_NUM"), "the route's caller ID");
        assertEquals("LAB", intl.get("ROUTE_CALLERID_NAME"));
        assertEquals("120", intl.get("ROUTE_TIMEOUT"));

        RouteDecision local = call("outbound?tenant=lab&ext=2006&number=95551234", "2006");
        assertAnswer(local, "DIAL", "PJSIP/12125551234@t2");
        assertNull(local.get("ROUTE_CALLERID_NUM"), "caller ID unchanged");

        RouteDecision none = call("outbound?tenant=lab&ext=2006&number=12345", "2006");
        assertAnswer(none, "CONGESTION", "");
        assertEquals("no-outbound-route", none.get("ROUTE_REASON"));
        assertAnswer(call("outbound?tenant=lab&ext=2001&number=2006", "2001"), "DIAL", "SIP/2006");
        assertAnswer(call("outbound?tenant=lab&ext=2001&number=700", "2001"), "DIAL", "SIP/2001&SIP/2006");
        assertAnswer(call("outbound?tenant=acme&ext=1001&number=112", "1001"), "DIAL", "SIP/carrier-a/112");
        assertAnswer(call("outbound?tenant=acme&ext=1001&number=9030123", "1001"), "DIAL", "SIP/carrier-a/030123");
    }

    @Test
    void trunkFailoverThroughNext() {
        String step =
                call("outbound?tenant=lab&ext=2006&number=0033123456", "2006").get("ROUTE_STEP");
        RouteDecision second = call("next?tenant=lab&step=" + step + "&dialstatus=CHANUNAVAIL", "2006");
        assertAnswer(second, "DIAL", "PJSIP/+33123456@t2");
        assertEquals("out:intl:1:0033123456", second.get("ROUTE_STEP"));
        assertEquals("trunk-failover", second.get("ROUTE_REASON"));
        RouteDecision third = call("next?tenant=lab&step=out:intl:1:0033123456&dialstatus=CONGESTION", "2006");
        assertAnswer(third, "DIAL", "PJSIP/+33123456@t3");
        RouteDecision none = call("next?tenant=lab&step=out:intl:2:0033123456&dialstatus=CHANUNAVAIL", "2006");
        assertAnswer(none, "CONGESTION", "");
        assertEquals("all-trunks-failed", none.get("ROUTE_REASON"));
        assertAnswer(call("next?tenant=lab&step=out:intl:0:0033123456&dialstatus=BUSY", "2006"), "BUSY", "");
        assertAnswer(call("next?tenant=lab&step=out:intl:0:0033123456&dialstatus=NOANSWER", "2006"), "HANGUP", "19");
        assertAnswer(
                call("next?tenant=acme&step=out:pstn:0:0301234&dialstatus=CHANUNAVAIL", "1001"),
                "DIAL",
                "SIP/carrier-b/0301234");
    }

    @Test
    void everyDestinationType() {
        RouteDecision queue = call("route?tenant=lab&did=6100", "5550001");
        assertAnswer(queue, "QUEUE", "lab-support");
        assertEquals("120", queue.get("ROUTE_TIMEOUT"));
        assertEquals("q:lab-q", queue.get("ROUTE_STEP"));
        RouteDecision failover = call("next?tenant=lab&step=q:lab-q&dialstatus=TIMEOUT", "5550001");
        assertAnswer(failover, "VOICEMAIL", "2001@lab");
        assertEquals("queue-timeout", failover.get("ROUTE_REASON"));
        assertAnswer(call("route?tenant=lab&did=6200", "5550001"), "HANGUP", "17");
        assertAnswer(call("route?tenant=acme&did=199", "5550001"), "PLAYBACK", "ss-noservice");
        assertAnswer(call("route?tenant=lab&did=3", "5550001"), "VOICEMAIL", "2001@lab");
        assertAnswer(call("route?tenant=lab&did=5000", "5550001"), "DIAL", "SIP/2001");
        assertAnswer(call("route?tenant=lab&did=7010", "5550001"), "DIAL", "SIP/2001");
        RouteDecision chained = call("route?tenant=lab&did=6000", "5550001"); // ROUTE → TIME_CONDITION → EXTENSION
        assertAnswer(chained, "DIAL", "SIP/2001");
        assertEquals("time-condition:lab-hours:match", chained.get("ROUTE_REASON"));
        // acme: a 10-digit national DID is routed via ROUTE main (same time condition as the main number)
        clock.set("2026-11-24T08:00:00Z");
        assertAnswer(call("route?tenant=acme&did=2125551234", "5550001"), "DIAL", "SIP/1001&SIP/1002&SIP/1003");
        // hunt group 601 ends in queue support, whose failover is voicemail 1003
        assertAnswer(call("next?tenant=acme&step=rg:601:1&dialstatus=NOANSWER", "5550001"), "QUEUE", "acme-support");
        assertAnswer(call("next?tenant=acme&step=q:support&dialstatus=JOINEMPTY", "5550001"), "VOICEMAIL", "1003@acme");
    }

    @Test
    void argumentsFromAgiArgsAndDefaultTenant() {
        AgiRequest r = Calls.request("route", "5550001", "did=100", "tenant=acme");
        assertAnswer(scripts.get("route").decide(r), "DIAL", "SIP/1001");
        RouteDecision dflt = call("route?did=100", "5550001");
        assertAnswer(dflt, "DIAL", "PJSIP/1001");
        assertEquals("default", dflt.get("ROUTE_TENANT"));
        // no did at all: the dialled extension from the channel (agi_extension) is used
        AgiRequest noDid = Calls.request("route?tenant=acme", "5550001");
        assertEquals("HANGUP", scripts.get("route").decide(noDid).get("ROUTE_ACTION"));
    }

    @Test
    void sqlLookingInputIsJustData() throws Exception {
        long before = new RoutingDataReader(db.dataSource()).version();
        RouteDecision badDid = call("route?tenant=acme&did=100'%20OR%20'1'%3D'1", "5550001");
        assertAnswer(badDid, "HANGUP", "1");
        assertEquals("invalid-number", badDid.get("ROUTE_REASON"));
        RouteDecision badTenant = call("route?tenant=acme'%3B%20DROP%20TABLE%20tenant%3B%20--&did=100", "5550001");
        assertAnswer(badTenant, "CONGESTION", "");
        assertEquals("unknown-tenant", badTenant.get("ROUTE_REASON"));
        assertAnswer(call("next?tenant=lab&step=ext:2001'%20--&dialstatus=BUSY", "1"), "HANGUP", "41");
        assertAnswer(call("next?tenant=lab&step=out:intl:99999:00%3B&dialstatus=CHANUNAVAIL", "1"), "HANGUP", "41");
        assertAnswer(call("outbound?tenant=lab&ext=2001&number=0033%27%3B", "1"), "HANGUP", "1");
        assertAnswer(call("route?tenant=acme&did=100", "5550001"), "DIAL", "SIP/1001");
        assertEquals(before, new RoutingDataReader(db.dataSource()).version(), "nothing was written");

        // nothing from the request is echoed unchecked into a value the server puts on an AGI command line
        for (String script : List.of(
                "route?tenant=x%22%0AEXEC%20System%20reboot&did=100",
                "next?tenant=acme&step=ext:1001%0AHANGUP&dialstatus=BUSY%22",
                "outbound?tenant=acme&number=1%0A2&ext=%22")) {
            RouteDecision d = call(script, "1\n\"2");
            for (int i = 0; i < d.size(); i++) {
                assertFalse(d.value(i).contains("\n") || d.value(i).contains("\""), d.name(i) + "=" + d.value(i));
            }
        }
    }

    @Test
    void statusReportsAFreshDatabaseSnapshot() {
        RoutingStatus s = service.status();
        assertTrue(s.dbReachable());
        assertEquals(false, s.degraded());
        assertEquals("database", s.source());
        assertTrue(s.snapshotVersion() > 1);
        assertTrue(Files.exists(dir.resolve("routing.snapshot")), "snapshot written to disk");
        assertEquals(
                java.time.Instant.parse("2026-11-24T15:00:00Z"), s.loadedAt(), "read at start, on the service clock");
        clock.set("2026-11-24T15:01:30Z");
        assertEquals(Duration.ofSeconds(90), service.status().snapshotAge());
    }
}
