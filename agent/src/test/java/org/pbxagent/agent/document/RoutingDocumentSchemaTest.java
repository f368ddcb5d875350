package org.pbxagent.agent.document;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The published schema describes exactly the document the commands read and write, so tools can rely on it. */
class RoutingDocumentSchemaTest {
    private static final Map<String, Class<? extends Record>> DEFS = Map.ofEntries(
            Map.entry("extension", RoutingDocument.Extension.class),
            Map.entry("destination", RoutingDocument.Destination.class),
            Map.entry("time_range", RoutingDocument.TimeRange.class),
            Map.entry("time_exception", RoutingDocument.TimeException.class),
            Map.entry("time_condition", RoutingDocument.TimeCondition.class),
            Map.entry("ring_group", RoutingDocument.RingGroup.class),
            Map.entry("queue", RoutingDocument.Queue.class),
            Map.entry("inbound_route", RoutingDocument.InboundRoute.class),
            Map.entry("trunk", RoutingDocument.Trunk.class),
            Map.entry("dial_pattern", RoutingDocument.DialPattern.class),
            Map.entry("outbound_route", RoutingDocument.OutboundRoute.class),
            Map.entry("blocked_caller", RoutingDocument.BlockedCaller.class),
            Map.entry("ivr_menu", RoutingDocument.IvrMenu.class),
            Map.entry("ivr_option", RoutingDocument.IvrOption.class),
            Map.entry("call_class", RoutingDocument.CallClass.class));

    private static Set<String> keys(Class<? extends Record> type) {
        PropertyNamingStrategies.SnakeCaseStrategy snake = new PropertyNamingStrategies.SnakeCaseStrategy();
        Set<String> s = new TreeSet<>();
        Arrays.stream(type.getRecordComponents()).forEach(c -> s.add(snake.translate(c.getName())));
        return s;
    }

    private static Set<String> properties(JsonNode object) {
        Set<String> s = new TreeSet<>();
        object.path("properties").fieldNames().forEachRemaining(s::add);
        return s;
    }

    @Test
    void everyKeyOfTheDocumentIsInTheSchemaAndNoOther() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Files.readString(Path.of("..", "etc", "routing", "schema.json")));
        assertEquals(keys(RoutingDocument.class), properties(schema));
        assertEquals(DEFS.keySet(), toSet(schema.path("$defs").fieldNames()));
        for (Map.Entry<String, Class<? extends Record>> e : DEFS.entrySet()) {
            JsonNode def = schema.path("$defs").get(e.getKey());
            assertNotNull(def, e.getKey());
            assertEquals(keys(e.getValue()), properties(def), e.getKey());
            assertEquals(false, def.path("additionalProperties").asBoolean(true), e.getKey());
        }
        // every destination type the compiler knows, and no other
        Set<String> types = new TreeSet<>();
        schema.path("$defs")
                .path("destination")
                .path("properties")
                .path("type")
                .path("enum")
                .forEach(n -> types.add(n.asText()));
        Set<String> known = new TreeSet<>();
        for (org.pbxagent.fastagi.routing.DestinationType t : org.pbxagent.fastagi.routing.DestinationType.values()) {
            known.add(t.name());
        }
        assertEquals(known, types);
    }

    private static Set<String> toSet(java.util.Iterator<String> it) {
        Set<String> s = new TreeSet<>();
        it.forEachRemaining(s::add);
        return s;
    }
}
