package org.pbxagent.fastagi.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The FastAGI sessions recorded against a real Asterisk 20 (test resource asterisk-20/agi-sessions.jsonl). */
public final class RecordedAgiSessions {
    /** One recorded line: {@code recv} = Asterisk sent it, {@code send} = the FastAGI server sent it. */
    public record Step(boolean fromAsterisk, String text) {}

    public record Session(String script, List<Step> steps) {
        /** Bytes of the environment block up to and including the empty line. */
        public byte[] environmentBlock() {
            StringBuilder sb = new StringBuilder();
            for (Step s : steps) {
                if (!s.fromAsterisk()) {
                    break;
                }
                sb.append(s.text());
                if (s.text().equals("\n")) {
                    break;
                }
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Everything after the environment block. */
        public List<Step> afterEnvironment() {
            int i = 0;
            while (!steps.get(i).text().equals("\n")) {
                i++;
            }
            return steps.subList(i + 1, steps.size());
        }

        /** The commands the server sent, with their line ends. */
        public List<String> commands() {
            List<String> out = new ArrayList<>();
            for (Step s : afterEnvironment()) {
                if (!s.fromAsterisk()) {
                    out.add(s.text());
                }
            }
            return out;
        }
    }

    private RecordedAgiSessions() {}

    public static Map<String, Session> load() {
        Map<String, Session> out = new LinkedHashMap<>();
        ObjectMapper om = new ObjectMapper();
        try (InputStream in = RecordedAgiSessions.class.getResourceAsStream("/asterisk-20/agi-sessions.jsonl")) {
            if (in == null) {
                throw new IllegalStateException("test resource asterisk-20/agi-sessions.jsonl missing");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = om.readTree(line);
                List<Step> steps = new ArrayList<>();
                for (JsonNode e : n.get("exchange")) {
                    steps.add(
                            new Step(e.get(0).asText().equals("recv"), e.get(1).asText()));
                }
                out.put(n.get("script").asText(), new Session(n.get("script").asText(), steps));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static Session session(String script) {
        Session s = load().get(script);
        if (s == null) {
            throw new IllegalArgumentException("no recorded session " + script);
        }
        return s;
    }
}
