package org.pbxagent.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The status page and the summary it shares with /status and {@code pbx-agent status}, from a given document. */
class StatusPageTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static JsonNode doc(String routing, String drainReason) throws Exception {
        return Json.mapper().readTree("""
                {"node":{"id":"pbx1","version":"1.0","state":"running","uptime_s":3600},
                 "health":{"ready":true,"failures":[],"notes":[]},
                 "drain":{"drained":true,"reason":%s,"since":"2026-03-01T11:00:00Z",
                          "details":{"operator":"x","refused":""}},
                 "routing":%s,
                 "ami":{"enabled":true,"available":true,"reason":"","active_calls":7},
                 "load":{"score":35,"max_calls":200,"active_calls":7},
                 "balancer":{"score":35,"agent_check":"drain","kamailio":[
                   {"url":"http://10.0.0.1:5071/pbx","reachable":true,"dispatcher_state":"drained",
                    "last_push_at":"2026-03-01T11:59:58Z","last_success_at":"2026-03-01T11:59:58Z",
                    "last_error":null},
                   {"url":"http://10.0.0.2:5071/pbx","reachable":false,"dispatcher_state":"unconfirmed",
                    "last_push_at":"2026-03-01T11:59:59Z","last_success_at":null,"last_error":"timeout"}]}}
                """.formatted(Json.write(drainReason), routing));
    }

    private static final String HEALTHY = """
            {"has_data":true,"db_reachable":true,"degraded":false,"source":"database","snapshot_version":12,
             "loaded_at":"2026-02-28T12:00:00Z","db_last_success":"2026-03-01T11:59:59.600Z","problems":[]}""";

    private static ObjectNode withSummary(JsonNode doc) {
        ObjectNode out = Json.mapper().createObjectNode();
        out.set("summary", StatusSummary.of(doc, NOW));
        out.setAll((ObjectNode) doc);
        return out;
    }

    @Test
    void unchangedDataOnAHealthyNodeIsAsOldAsTheDbsLastAnswerNotItsReadTime() throws Exception {
        JsonNode s = StatusSummary.of(doc(HEALTHY, "maintenance"), NOW);
        assertEquals(0.4, s.path("snapshot_age_s").asDouble(), 1e-9, s.toString());
        assertEquals(0.4, s.path("db_last_success_age_s").asDouble(), 1e-9);
        String degraded =
                HEALTHY.replace("\"db_reachable\":true,\"degraded\":false", "\"db_reachable\":false,\"degraded\":true");
        JsonNode d = StatusSummary.of(doc(degraded, "maintenance"), NOW);
        assertEquals(86_400, d.path("snapshot_age_s").asDouble(), 1e-9, "degraded: as old as the data served");
        assertTrue(StatusSummary.text(d, true).contains("DEGRADED"), StatusSummary.text(d, true));
    }

    @Test
    void theBandShowsEachFigureOnceAndEscapesWhatItShows() throws Exception {
        String page = StatusPage.render(withSummary(doc(HEALTHY, "<script>alert(1)</script>")), List.of(), NOW);
        assertEquals("drained: &lt;script&gt;alert(1)&lt;/script&gt;", tile(page, "drain"));
        assertFalse(page.contains("<script"), page);
        assertEquals("35", tile(page, "score"));
        assertEquals("7 / 200", tile(page, "calls"));
        assertEquals("reachable, 0.4 s ago", tile(page, "db"));
        assertEquals("v12 database, 0.4 s old", tile(page, "snapshot"));
        assertEquals("drained, push 2.0 s ago", tile(page, "kamailio-0"));
        assertTrue(
                page.contains("id=\"sum-kamailio-1\"><span class=\"label\">Kamailio http://10.0.0.2:5071/pbx"), page);
        assertTrue(page.contains("<div class=\"tile bad\" id=\"sum-kamailio-1\">"), "unconfirmed is red");
        // The Kamailio list is one table with a column per field, not JSON in a cell.
        assertEquals(1, page.split("<th>dispatcher_state</th>", -1).length - 1, page);
        assertFalse(Pattern.compile("<td>\\s*[\\[{]").matcher(page).find(), page);
        assertTrue(page.contains("no data yet"), "empty plots say so");
    }

    @Test
    void plotsLeaveGapsWhereThereWasNoData() throws Exception {
        List<StatusHistory.Point> h = new ArrayList<>();
        long t0 = NOW.toEpochMilli() - 60_000;
        for (int i = 0; i < 12; i++) {
            double rate = i == 5 || i == 6 ? Double.NaN : i;
            h.add(new StatusHistory.Point(t0 + i * 5000L, 20 + i, 3, rate, 0));
        }
        String page = StatusPage.render(withSummary(doc(HEALTHY, "x")), h, NOW);
        assertEquals(2, polylines(page, "decisions"), "a gap splits the line");
        assertEquals(1, polylines(page, "score"));
        assertTrue(page.contains("decisions/s: <b class=\"last\">11</b>"), page);
        // x is time: the right edge is now, the whole width 15 minutes; the points are 5 s to 60 s old.
        Matcher m = Pattern.compile("id=\"plot-score\".*?points=\"([^\"]*)\"", Pattern.DOTALL)
                .matcher(page);
        assertTrue(m.find());
        String[] pts = m.group(1).split(" ");
        assertEquals(318.2, Double.parseDouble(pts[pts.length - 1].split(",")[0]), 0.1);
        assertEquals(298.7, Double.parseDouble(pts[0].split(",")[0]), 0.1);
    }

    @Test
    void theTextSummaryReadsAStatusWithoutOptionalParts() throws Exception {
        JsonNode bare = Json.mapper().readTree("{\"node\":{\"id\":\"pbx2\",\"state\":\"running\"}}");
        String text = StatusSummary.text(StatusSummary.of(bare, NOW), true);
        assertTrue(text.startsWith("node pbx2: ready, in rotation (running)\n"), text);
        assertTrue(text.contains("score -, calls -, asterisk not watched"), text);
        assertTrue(text.contains("routing: NO DATA"), text);
    }

    private static int polylines(String page, String plot) {
        Matcher m = Pattern.compile("id=\"plot-" + plot + "\".*?</svg>", Pattern.DOTALL)
                .matcher(page);
        assertTrue(m.find(), plot);
        return m.group().split("<polyline", -1).length - 1;
    }

    private static String tile(String page, String key) {
        Matcher m = Pattern.compile(
                        "id=\"sum-" + key + "\"><span class=\"label\">[^<]*</span><span class=\"value\">([^<]*)</span>")
                .matcher(page);
        assertTrue(m.find(), key + " in " + page);
        return m.group(1);
    }
}
