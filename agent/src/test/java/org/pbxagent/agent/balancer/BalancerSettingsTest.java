package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.config.SectionType;

/** kamailio.*, haproxy.*, drain.*: defaults, and every bad value named by its key. */
class BalancerSettingsTest {
    private static final List<SectionType<?>> SECTIONS = List.of(
            new SectionType<>("kamailio", KamailioSettings.class, KamailioSettings::read),
            new SectionType<>("haproxy", HaproxySettings.class, HaproxySettings::read),
            new SectionType<>("drain", DrainSettings.class, DrainSettings::read));

    private static AgentConfig config(Map<String, String> values) {
        return AgentConfig.from(values, null, SECTIONS);
    }

    @Test
    void defaultsWithTwoKamailios() {
        AgentConfig c = config(Map.of(
                "kamailio.rpc-urls", "http://10.0.0.10:5071/pbx, http://10.0.0.11:5071/pbx",
                "kamailio.node-uri", "sip:10.0.0.21:5060"));
        KamailioSettings k = c.section(KamailioSettings.class);
        assertEquals(
                List.of(URI.create("http://10.0.0.10:5071/pbx"), URI.create("http://10.0.0.11:5071/pbx")), k.rpcUrls());
        assertEquals(1, k.target().setId());
        assertEquals("pbxload", k.target().htable());
        assertEquals("sip:10.0.0.21:5060", k.target().htableKey(), "the shipped kamailio.cfg keys by dispatcher URI");
        assertEquals(3, k.target().ttlSeconds());
        assertNull(k.sourceAddress());
        assertFalse(c.section(HaproxySettings.class).enabled());
        assertTrue(c.section(DrainSettings.class).automatic());
        assertFalse(c.section(DrainSettings.class).forceAutomatic());
    }

    @Test
    void withoutRpcUrlsThereIsNoKamailioSection() {
        AgentConfig c = config(Map.of());
        assertFalse(c.has(KamailioSettings.class));
    }

    @Test
    void badValuesAreNamedByKey() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> config(Map.of(
                        "kamailio.rpc-urls", "ftp://x/RPC",
                        "kamailio.node-uri", "10.0.0.21",
                        "kamailio.score-ttl-ms", "2500",
                        "kamailio.source-address", "pbx1.example",
                        "haproxy.port", "70000",
                        "drain.wait-ms", "5")));
        String m = e.getMessage();
        for (String key : List.of(
                "kamailio.rpc-urls",
                "kamailio.score-ttl-ms",
                "kamailio.source-address",
                "haproxy.port",
                "drain.wait-ms")) {
            assertTrue(m.contains(key), key + " not named in: " + m);
        }
    }

    @Test
    void nodeUriMustBeASipUriAndIsRequired() {
        ConfigException bad = assertThrows(
                ConfigException.class,
                () -> config(Map.of(
                        "kamailio.rpc-urls", "http://10.0.0.10:5071/pbx", "kamailio.node-uri", "10.0.0.21:5060")));
        assertTrue(bad.getMessage().contains("kamailio.node-uri"), bad.getMessage());
        ConfigException missing = assertThrows(
                ConfigException.class, () -> config(Map.of("kamailio.rpc-urls", "http://10.0.0.10:5071/pbx")));
        assertTrue(missing.getMessage().contains("kamailio.node-uri"), missing.getMessage());
        ConfigException orphan =
                assertThrows(ConfigException.class, () -> config(Map.of("kamailio.node-uri", "sip:10.0.0.21:5060")));
        assertTrue(orphan.getMessage().contains("kamailio.rpc-urls"), orphan.getMessage());
    }

    @Test
    void theProxyTiesANodeToItsAddressSoTheNodeUriAndEndpointHaveOneShape() {
        for (Map<String, String> bad : List.of(
                Map.of("kamailio.node-uri", "sip:pbx1.example:5060"),
                Map.of("kamailio.node-uri", "sip:10.0.0.21:5060;transport=tcp"),
                Map.of("kamailio.node-uri", "sip:10.0.0.21:5060", "kamailio.source-address", "10.0.0.99"),
                Map.of("kamailio.node-uri", "sip:10.0.0.21:5060", "kamailio.htable-key", "pbx1"),
                Map.of("kamailio.node-uri", "sip:10.0.0.21:5060", "kamailio.htable", "other"),
                Map.of("kamailio.node-uri", "sip:10.0.0.21:5060", "kamailio.rpc-urls", "http://10.0.0.10:5071/RPC"))) {
            Map<String, String> values =
                    new java.util.HashMap<>(Map.of("kamailio.rpc-urls", "http://10.0.0.10:5071/pbx"));
            values.putAll(bad);
            String key = bad.keySet().stream()
                    .filter(k -> !k.equals("kamailio.node-uri") || bad.size() == 1)
                    .findFirst()
                    .orElseThrow();
            ConfigException e = assertThrows(ConfigException.class, () -> config(values), bad.toString());
            assertTrue(e.getMessage().contains(key), key + " not named in: " + e.getMessage());
        }
        KamailioSettings ok = config(Map.of(
                        "kamailio.rpc-urls",
                        "http://10.0.0.10:5071/pbx/",
                        "kamailio.node-uri",
                        "sip:10.0.0.21",
                        "kamailio.source-address",
                        "10.0.0.21",
                        "kamailio.htable",
                        "pbxload"))
                .section(KamailioSettings.class);
        assertEquals("10.0.0.21", ok.sourceAddress());
    }

    @Test
    void unknownKeyIsReported() {
        ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of("kamailio.rpc-url", "x")));
        assertTrue(e.getMessage().contains("kamailio.rpc-url"), e.getMessage());
    }
}
