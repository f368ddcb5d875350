package org.pbxagent.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The human status page at {@code /}: the summary band first, then the last 15 minutes as small inline SVG plots,
 * then every /status section as real tables. Plain HTML and inline CSS: no scripts, no external assets, every value
 * escaped. Reloads itself every 5 s.
 */
final class StatusPage {
    private static final int PLOT_W = 320;
    private static final int PLOT_H = 64;
    private static final Set<String> NOT_SECTIONS = Set.of("summary", "node", "health");

    private StatusPage() {}

    /**
     * The page.
     *
     * @param status the /status document with its summary
     * @param history the plotted samples, oldest first
     */
    static String render(JsonNode status, List<StatusHistory.Point> history, Instant now) {
        JsonNode s = status.path("summary");
        String id = s.path("node").asText("?");
        StringBuilder sb = new StringBuilder(16384);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        + "<meta http-equiv=\"refresh\" content=\"5\"><title>pbx-agent ")
                .append(escape(id))
                .append("</title>\n<style>\n"
                        + "body{font-family:sans-serif;margin:1em 1.5em;color:#222}h1{font-size:1.3em;margin:.2em 0}"
                        + "h2{font-size:1.05em;margin:1.2em 0 .3em}"
                        + ".band{display:flex;flex-wrap:wrap;gap:6px;margin:.5em 0}"
                        + ".tile{border:1px solid #bbb;border-radius:4px;padding:4px 10px;min-width:7em;background:#f6f6f6}"
                        + ".tile .label{display:block;font-size:.75em;color:#555}"
                        + ".tile .value{display:block;font-size:1.1em;font-weight:bold}"
                        + ".ok{background:#e3f4e3;border-color:#5a5}.bad{background:#fbe0e0;border-color:#c44}"
                        + ".warn{background:#fff3d6;border-color:#d93}"
                        + "table{border-collapse:collapse;margin:.2em 0 .6em}td,th{border:1px solid #ccc;"
                        + "padding:2px 8px;text-align:left;vertical-align:top;font-size:.9em}th{background:#eee}"
                        + ".plots{display:flex;flex-wrap:wrap;gap:12px}.plot{font-size:.8em}"
                        + "svg{background:#fafafa;border:1px solid #ccc}ul{margin:.2em 0}\n"
                        + "</style></head><body>\n<h1>pbx-agent ")
                .append(escape(id))
                .append("</h1>\n");
        band(sb, s);
        plots(sb, history, now);
        Iterator<Map.Entry<String, JsonNode>> it = status.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (NOT_SECTIONS.contains(e.getKey())) {
                continue;
            }
            sb.append("<h2 id=\"section-")
                    .append(escape(e.getKey()))
                    .append("\">")
                    .append(escape(e.getKey()))
                    .append("</h2>\n");
            value(sb, e.getValue());
            sb.append('\n');
        }
        sb.append("<h2>node</h2>\n");
        value(sb, status.path("node"));
        sb.append("\n<p><a href=\"/status\">/status</a> (JSON) &middot; <a href=\"/metrics\">/metrics</a> "
                + "(Prometheus) &middot; <a href=\"/health\">/health</a></p>\n</body></html>\n");
        return sb.toString();
    }

    private static void band(StringBuilder sb, JsonNode s) {
        sb.append("<section class=\"band\" id=\"summary\">\n");
        boolean ready = s.path("ready").asBoolean();
        tile(sb, "ready", "Ready", ready ? "ready" : "NOT READY", ready ? "ok" : "bad");
        boolean drained = s.path("drained").asBoolean();
        tile(
                sb,
                "drain",
                "Rotation",
                drained ? "drained: " + s.path("drain_reason").asText() : "in rotation",
                drained ? "warn" : "ok");
        tile(
                sb,
                "score",
                "Score",
                text(s.path("score")),
                s.path("score").isNumber() && s.path("score").asInt() >= 90 ? "warn" : "");
        String calls = text(s.path("calls"))
                + (s.hasNonNull("max_calls") ? " / " + s.path("max_calls").asLong() : "");
        tile(sb, "calls", "Calls", calls, s.path("asterisk").asText().startsWith("unavailable") ? "bad" : "");
        tile(
                sb,
                "asterisk",
                "Asterisk",
                s.path("asterisk").asText(),
                s.path("asterisk").asText().equals("available") ? "ok" : "warn");
        String db = s.path("db_reachable").isNull()
                ? "-"
                : s.path("db_reachable").asBoolean() ? "reachable" : "UNREACHABLE";
        if (s.hasNonNull("db_last_success_age_s")) {
            db += ", " + StatusSummary.duration(s.path("db_last_success_age_s").asDouble()) + " ago";
        }
        tile(sb, "db", "DB", db, s.path("db_reachable").asBoolean() ? "ok" : "bad");
        String snap;
        if (s.path("routing_has_data").asBoolean()) {
            snap = "v" + s.path("snapshot_version").asLong() + " "
                    + s.path("snapshot_source").asText()
                    + (s.hasNonNull("snapshot_age_s")
                            ? ", "
                                    + StatusSummary.duration(
                                            s.path("snapshot_age_s").asDouble()) + " old"
                            : "")
                    + (s.path("degraded").asBoolean() ? ", DEGRADED" : "");
        } else {
            snap = "NO DATA";
        }
        tile(
                sb,
                "snapshot",
                "Routing snapshot",
                snap,
                !s.path("routing_has_data").asBoolean()
                        ? "bad"
                        : s.path("degraded").asBoolean() ? "warn" : "ok");
        int i = 0;
        for (JsonNode k : s.path("kamailio")) {
            String v = k.path("dispatcher_state").asText()
                    + (k.hasNonNull("last_push_age_s")
                            ? ", push "
                                    + StatusSummary.duration(
                                            k.path("last_push_age_s").asDouble()) + " ago"
                            : "");
            String state = k.path("dispatcher_state").asText();
            tile(
                    sb,
                    "kamailio-" + i++,
                    "Kamailio " + k.path("url").asText(),
                    v,
                    !k.path("reachable").asBoolean() || state.equals("unconfirmed")
                            ? "bad"
                            : state.equals("drained") ? "warn" : "ok");
        }
        tile(sb, "storage", "Storage", s.path("storage").asText(), "");
        sb.append("</section>\n");
        List<String> lines = new ArrayList<>();
        s.path("failures").forEach(f -> lines.add("failure: " + f.asText()));
        s.path("notes").forEach(n -> lines.add("note: " + n.asText()));
        if (!s.path("drain_refused").asText().isEmpty()) {
            lines.add("drain: " + s.path("drain_refused").asText());
        }
        if (!lines.isEmpty()) {
            sb.append("<ul id=\"notes\">");
            for (String l : lines) {
                sb.append("<li")
                        .append(l.startsWith("failure") ? " class=\"bad\"" : "")
                        .append('>')
                        .append(escape(l))
                        .append("</li>");
            }
            sb.append("</ul>\n");
        }
    }

    private static void tile(StringBuilder sb, String key, String label, String value, String cls) {
        sb.append("<div class=\"tile ")
                .append(cls)
                .append("\" id=\"sum-")
                .append(escape(key))
                .append("\"><span class=\"label\">")
                .append(escape(label))
                .append("</span><span class=\"value\">")
                .append(escape(value))
                .append("</span></div>\n");
    }

    private static void plots(StringBuilder sb, List<StatusHistory.Point> history, Instant now) {
        sb.append("<h2>Last ").append(StatusHistory.SPAN.toMinutes()).append(" minutes</h2>\n<div class=\"plots\">\n");
        plot(sb, "score", "score", history, now, StatusHistory.Point::score, 100);
        plot(sb, "calls", "calls", history, now, StatusHistory.Point::calls, 0);
        plot(sb, "decisions", "decisions/s", history, now, StatusHistory.Point::decisionsPerSecond, 0);
        plot(sb, "degraded", "degraded answers/s", history, now, StatusHistory.Point::degradedPerSecond, 0);
        sb.append("</div>\n");
    }

    /** @param fixedMax the top of the y axis, or 0 to take the largest value seen */
    private static void plot(
            StringBuilder sb,
            String key,
            String title,
            List<StatusHistory.Point> history,
            Instant now,
            ToDoubleFunction<StatusHistory.Point> f,
            double fixedMax) {
        double max = fixedMax;
        double last = Double.NaN;
        for (StatusHistory.Point p : history) {
            double v = f.applyAsDouble(p);
            if (!Double.isNaN(v)) {
                last = v;
                if (fixedMax == 0) {
                    max = Math.max(max, v);
                }
            }
        }
        if (max <= 0) {
            max = 1;
        }
        long end = now.toEpochMilli();
        long span = StatusHistory.SPAN.toMillis();
        sb.append("<figure class=\"plot\" id=\"plot-")
                .append(key)
                .append("\" style=\"margin:0\"><figcaption>")
                .append(escape(title))
                .append(": <b class=\"last\">")
                .append(Double.isNaN(last) ? "-" : number(last))
                .append("</b> (max ")
                .append(number(max))
                .append(")</figcaption>\n<svg" + " width=\"")
                .append(PLOT_W)
                .append("\" height=\"")
                .append(PLOT_H)
                .append("\" viewBox=\"0 0 ")
                .append(PLOT_W)
                .append(' ')
                .append(PLOT_H)
                .append("\" role=\"img\" aria-label=\"")
                .append(escape(title))
                .append(", last ")
                .append(StatusHistory.SPAN.toMinutes())
                .append(" minutes\">");
        // Gaps (no data) split the line, so a missing figure is never drawn as 0.
        StringBuilder pts = new StringBuilder();
        int segments = 0;
        for (StatusHistory.Point p : history) {
            double v = f.applyAsDouble(p);
            if (Double.isNaN(v)) {
                segments += flush(sb, pts);
                continue;
            }
            double x = PLOT_W - (double) (end - p.epochMs()) / span * PLOT_W;
            double y = PLOT_H - 2 - Math.min(v, max) / max * (PLOT_H - 4);
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", Math.max(0, x), y));
        }
        segments += flush(sb, pts);
        if (segments == 0) {
            sb.append("<text x=\"8\" y=\"")
                    .append(PLOT_H / 2 + 4)
                    .append("\" font-size=\"11\" fill=\"#888\">")
                    .append("no data yet</text>");
        }
        sb.append("</svg></figure>\n");
    }

    private static int flush(StringBuilder sb, StringBuilder pts) {
        if (pts.isEmpty()) {
            return 0;
        }
        sb.append("<polyline fill=\"none\" stroke=\"#2a6fb0\" stroke-width=\"1.5\" points=\"")
                .append(pts.toString().strip())
                .append("\"/>");
        pts.setLength(0);
        return 1;
    }

    /** Objects as key/value tables, lists of objects as tables with a column per key, scalars as text. */
    private static void value(StringBuilder sb, JsonNode v) {
        if (v.isObject()) {
            if (v.isEmpty()) {
                sb.append("<p>-</p>");
                return;
            }
            sb.append("<table>");
            Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append("<tr><th>").append(escape(e.getKey())).append("</th><td>");
                value(sb, e.getValue());
                sb.append("</td></tr>");
            }
            sb.append("</table>");
        } else if (v.isArray()) {
            if (v.isEmpty()) {
                sb.append("none");
                return;
            }
            boolean objects = true;
            Set<String> columns = new LinkedHashSet<>();
            for (JsonNode e : v) {
                objects &= e.isObject();
                e.fieldNames().forEachRemaining(columns::add);
            }
            if (objects) {
                sb.append("<table><tr>");
                columns.forEach(c -> sb.append("<th>").append(escape(c)).append("</th>"));
                sb.append("</tr>");
                for (JsonNode row : v) {
                    sb.append("<tr>");
                    for (String c : columns) {
                        sb.append("<td>");
                        value(sb, row.path(c));
                        sb.append("</td>");
                    }
                    sb.append("</tr>");
                }
                sb.append("</table>");
            } else {
                sb.append("<ul>");
                for (JsonNode e : v) {
                    sb.append("<li>");
                    value(sb, e);
                    sb.append("</li>");
                }
                sb.append("</ul>");
            }
        } else {
            sb.append(escape(text(v)));
        }
    }

    private static String text(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "-";
        }
        if (v.isTextual()) {
            return v.asText().isEmpty() ? "-" : v.asText();
        }
        if (v.isFloatingPointNumber()) {
            return number(v.asDouble());
        }
        return v.asText();
    }

    private static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return String.format(Locale.ROOT, Math.abs(d) < 10 ? "%.2f" : "%.1f", d);
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
