package org.pbxagent.agent.http;

import java.util.Collection;
import java.util.Map;

/** The human status page at {@code /}: plain HTML, no scripts, no external assets, every value escaped. */
final class StatusPage {
    private StatusPage() {
    }

    static String render(Map<String, Object> status) {
        StringBuilder sb = new StringBuilder(4096);
        Object node = status.get("node");
        String id = node instanceof Map<?, ?> m ? String.valueOf(m.get("id")) : "?";
        sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\"><title>pbx-agent ")
                .append(escape(id)).append("</title>\n<style>body{font-family:sans-serif;margin:1.5em}"
                + "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #bbb;padding:2px 8px;"
                + "text-align:left;vertical-align:top}th{background:#eee}.bad{color:#a00}.ok{color:#070}"
                + "</style></head><body>\n<h1>pbx-agent ").append(escape(id)).append("</h1>\n");
        Object health = status.get("health");
        if (health instanceof Map<?, ?> h) {
            boolean ready = Boolean.TRUE.equals(h.get("ready"));
            sb.append("<p class=\"").append(ready ? "ok" : "bad").append("\">")
                    .append(ready ? "ready" : "not ready").append("</p>\n");
        }
        for (Map.Entry<String, Object> e : status.entrySet()) {
            sb.append("<h2>").append(escape(e.getKey())).append("</h2>\n");
            table(sb, e.getValue());
        }
        sb.append("<p><a href=\"/status\">/status</a> (JSON) &middot; <a href=\"/metrics\">/metrics</a> "
                + "(Prometheus) &middot; <a href=\"/health\">/health</a></p>\n</body></html>\n");
        return sb.toString();
    }

    private static void table(StringBuilder sb, Object value) {
        Object v = value;
        if (v != null && !(v instanceof Map) && !(v instanceof Collection) && !(v instanceof CharSequence)
                && !(v instanceof Number) && !(v instanceof Boolean)) {
            v = Json.mapper().convertValue(v, Map.class);
        }
        if (v instanceof Map<?, ?> map) {
            sb.append("<table>\n");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append("<tr><th>").append(escape(String.valueOf(e.getKey()))).append("</th><td>")
                        .append(escape(Json.write(e.getValue()).replaceAll("^\"|\"$", ""))).append("</td></tr>\n");
            }
            sb.append("</table>\n");
        } else {
            sb.append("<p>").append(escape(Json.write(v))).append("</p>\n");
        }
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
