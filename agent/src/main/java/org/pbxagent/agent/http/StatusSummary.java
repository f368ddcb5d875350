package org.pbxagent.agent.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * What an operator reads first, the same on the status page's band, in {@code /status} ({@code summary}) and in
 * {@code pbx-agent status}: ready, drained and why, score, calls, DB and snapshot age, each Kamailio with its last
 * push age and confirmed state, storage. Built from the /status document, so it also reads an agent's JSON that
 * has no summary of its own; missing parts are null, never guessed.
 */
public final class StatusSummary {
    private StatusSummary() {}

    /**
     * The summary band's values.
     *
     * @param status the /status document (without a summary)
     * @param now the time ages are counted to
     */
    public static ObjectNode of(JsonNode status, Instant now) {
        ObjectNode s = Json.mapper().createObjectNode();
        JsonNode node = status.path("node");
        JsonNode health = status.path("health");
        s.put("node", node.path("id").asText("?"));
        s.put("state", node.path("state").asText("unknown"));
        s.put("version", node.path("version").asText(""));
        putLong(s, "uptime_s", node.path("uptime_s"));
        s.put("ready", health.path("ready").asBoolean(false));
        s.set("failures", health.path("failures").isArray() ? health.path("failures") : s.arrayNode());
        s.set("notes", health.path("notes").isArray() ? health.path("notes") : s.arrayNode());

        JsonNode drain = status.path("drain");
        s.put("drained", drain.path("drained").asBoolean(false));
        s.put("drain_reason", drain.path("reason").asText(""));
        s.put("drain_refused", drain.path("details").path("refused").asText(""));

        JsonNode load = status.path("load");
        JsonNode ami = status.path("ami");
        if (load.isObject()) {
            putLong(s, "score", load.path("score"));
            putLong(s, "max_calls", load.path("max_calls"));
        } else {
            s.putNull("score");
            s.putNull("max_calls");
        }
        if (ami.path("enabled").asBoolean(false)) {
            putLong(s, "calls", ami.path("active_calls"));
            s.put(
                    "asterisk",
                    ami.path("available").asBoolean(false)
                            ? "available"
                            : "unavailable: " + ami.path("reason").asText(""));
        } else {
            s.putNull("calls");
            s.put("asterisk", "not watched (ami.enabled = false)");
        }

        JsonNode routing = status.path("routing");
        boolean hasData = routing.path("has_data").asBoolean(false);
        if (routing.has("db_reachable")) {
            s.put("db_reachable", routing.path("db_reachable").asBoolean());
        } else {
            s.putNull("db_reachable");
        }
        Double dbAge = age(routing.path("db_last_success"), now);
        putDouble(s, "db_last_success_age_s", dbAge);
        s.put("routing_has_data", hasData);
        if (hasData) {
            s.put("snapshot_version", routing.path("snapshot_version").asLong());
            s.put("snapshot_source", routing.path("source").asText(""));
            boolean degraded = routing.path("degraded").asBoolean(false);
            s.put("degraded", degraded);
            // How old the answers may be: current as of the DB's last answer, or, degraded, as of the read.
            putDouble(s, "snapshot_age_s", degraded || dbAge == null ? age(routing.path("loaded_at"), now) : dbAge);
        } else {
            s.putNull("snapshot_version");
            s.put("degraded", true);
            s.putNull("snapshot_age_s");
            s.put("routing_error", routing.path("error").asText(""));
        }

        ArrayNode kamailios = s.putArray("kamailio");
        for (JsonNode k : status.path("balancer").path("kamailio")) {
            ObjectNode o = kamailios.addObject();
            o.put("url", k.path("url").asText(""));
            o.put("reachable", k.path("reachable").asBoolean(false));
            o.put("dispatcher_state", k.path("dispatcher_state").asText("none"));
            putDouble(o, "last_push_age_s", age(k.path("last_push_at"), now));
            putDouble(o, "last_success_age_s", age(k.path("last_success_at"), now));
            o.put(
                    "last_error",
                    k.path("last_error").isTextual() ? k.path("last_error").asText() : "");
        }
        JsonNode storage = status.path("storage");
        s.put(
                "storage",
                storage.isMissingNode() || storage.isNull()
                        ? "not watched by the daemon (pbx-agent storage status)"
                        : storage.path("summary").asText(storage.toString()));
        return s;
    }

    /** The summary as a few lines of text, for the terminal. */
    public static String text(JsonNode s, boolean ready) {
        StringBuilder sb = new StringBuilder();
        sb.append("node ")
                .append(s.path("node").asText())
                .append(": ")
                .append(ready ? "ready" : "NOT READY")
                .append(", ")
                .append(
                        s.path("drained").asBoolean()
                                ? "DRAINED (" + s.path("drain_reason").asText() + ")"
                                : "in rotation")
                .append(" (")
                .append(s.path("state").asText());
        if (s.hasNonNull("uptime_s")) {
            sb.append(", up ").append(duration(s.path("uptime_s").asDouble()));
        }
        if (!s.path("version").asText().isEmpty()) {
            sb.append(", version ").append(s.path("version").asText());
        }
        sb.append(")\n");
        for (JsonNode f : s.path("failures")) {
            sb.append("  failure: ").append(f.asText()).append('\n');
        }
        for (JsonNode n : s.path("notes")) {
            sb.append("  note: ").append(n.asText()).append('\n');
        }
        if (!s.path("drain_refused").asText().isEmpty()) {
            sb.append("  drain: ").append(s.path("drain_refused").asText()).append('\n');
        }
        sb.append("score ").append(orDash(s.path("score"))).append(", calls ").append(orDash(s.path("calls")));
        if (s.hasNonNull("max_calls")) {
            sb.append(" of ").append(s.path("max_calls").asLong());
        }
        sb.append(", asterisk ").append(s.path("asterisk").asText()).append('\n');
        sb.append("db ")
                .append(
                        s.path("db_reachable").isNull()
                                ? "-"
                                : s.path("db_reachable").asBoolean() ? "reachable" : "UNREACHABLE");
        if (s.hasNonNull("db_last_success_age_s")) {
            sb.append(", last answer ")
                    .append(duration(s.path("db_last_success_age_s").asDouble()))
                    .append(" ago");
        }
        if (s.path("routing_has_data").asBoolean()) {
            sb.append("; routing version ")
                    .append(s.path("snapshot_version").asLong())
                    .append(" from ")
                    .append(s.path("snapshot_source").asText());
            if (s.hasNonNull("snapshot_age_s")) {
                sb.append(", ")
                        .append(duration(s.path("snapshot_age_s").asDouble()))
                        .append(" old");
            }
            sb.append(s.path("degraded").asBoolean() ? ", DEGRADED" : "");
        } else {
            sb.append("; routing: NO DATA (")
                    .append(s.path("routing_error").asText())
                    .append(')');
        }
        sb.append('\n');
        for (JsonNode k : s.path("kamailio")) {
            sb.append("kamailio ")
                    .append(k.path("url").asText())
                    .append(": ")
                    .append(k.path("dispatcher_state").asText())
                    .append(k.path("reachable").asBoolean() ? "" : ", UNREACHABLE");
            if (k.hasNonNull("last_push_age_s")) {
                sb.append(", last push ")
                        .append(duration(k.path("last_push_age_s").asDouble()))
                        .append(" ago");
            }
            if (k.hasNonNull("last_success_age_s")) {
                sb.append(", last ok ")
                        .append(duration(k.path("last_success_age_s").asDouble()))
                        .append(" ago");
            }
            sb.append('\n');
        }
        sb.append("storage: ").append(s.path("storage").asText()).append('\n');
        return sb.toString();
    }

    /** 0.4 s, 12 s, 3 min 5 s, 2 h 1 min: what a person reads at a glance. */
    public static String duration(double seconds) {
        if (seconds < 10) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    private static String orDash(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : n.asText();
    }

    private static Double age(JsonNode timestamp, Instant now) {
        if (!timestamp.isTextual()) {
            return null;
        }
        try {
            return Math.max(
                            0,
                            Duration.between(Instant.parse(timestamp.asText()), now)
                                    .toMillis())
                    / 1000.0;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static void putLong(ObjectNode o, String key, JsonNode v) {
        if (v.isNumber()) {
            o.put(key, v.asLong());
        } else {
            o.putNull(key);
        }
    }

    private static void putDouble(ObjectNode o, String key, Double v) {
        if (v == null) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }
}
