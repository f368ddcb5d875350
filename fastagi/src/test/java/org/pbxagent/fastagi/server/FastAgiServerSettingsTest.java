package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FastAgiServerSettingsTest {
    private static void rejects(String key, Map<String, String> props) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> FastAgiServerSettings.fromProperties(props));
        assertTrue(e.getMessage().startsWith(key + ":"), e.getMessage());
    }

    @Test
    void defaultsAreLoopbackOnly() {
        FastAgiServerSettings d = FastAgiServerSettings.defaults().validate();
        assertEquals("127.0.0.1", d.bindAddress());
        assertEquals(4573, d.port());
        assertEquals(List.of(CidrBlock.parse("127.0.0.0/8"), CidrBlock.parse("::1")), d.allow());
    }

    @Test
    void readsEveryKey() {
        FastAgiServerSettings s = FastAgiServerSettings.fromProperties(Map.of(
                "fastagi.bind",
                "127.0.0.5",
                "fastagi.port",
                "4600",
                "fastagi.allow",
                "10.0.0.0/8, 127.0.0.1",
                "fastagi.max-sessions",
                "50",
                "fastagi.environment-timeout-ms",
                "700",
                "fastagi.reply-timeout-ms",
                "900",
                "fastagi.max-line-length",
                "4096",
                "fastagi.max-environment-lines",
                "64",
                "fastagi.selector-threads",
                "3"));
        assertEquals("127.0.0.5", s.bindAddress());
        assertEquals(4600, s.port());
        assertEquals(List.of(CidrBlock.parse("10.0.0.0/8"), CidrBlock.parse("127.0.0.1")), s.allow());
        assertEquals(50, s.maxSessions());
        assertEquals(Duration.ofMillis(700), s.environmentTimeout());
        assertEquals(Duration.ofMillis(900), s.replyTimeout());
        assertEquals(4096, s.maxLineLength());
        assertEquals(64, s.maxEnvironmentLines());
        assertEquals(3, s.selectorThreads());
    }

    @Test
    void badValuesNameTheirKey() {
        rejects("fastagi.bind", Map.of("fastagi.bind", "pbx.example.org"));
        rejects("fastagi.port", Map.of("fastagi.port", "70000"));
        rejects("fastagi.port", Map.of("fastagi.port", "abc"));
        rejects("fastagi.allow", Map.of("fastagi.allow", "10.0.0.0/33"));
        rejects("fastagi.allow", Map.of("fastagi.allow", " , "));
        rejects("fastagi.max-sessions", Map.of("fastagi.max-sessions", "0"));
        rejects("fastagi.environment-timeout-ms", Map.of("fastagi.environment-timeout-ms", "0"));
        rejects("fastagi.reply-timeout-ms", Map.of("fastagi.reply-timeout-ms", "-5"));
        rejects("fastagi.max-line-length", Map.of("fastagi.max-line-length", "10"));
        rejects("fastagi.max-environment-lines", Map.of("fastagi.max-environment-lines", "1"));
        rejects("fastagi.selector-threads", Map.of("fastagi.selector-threads", "0"));
    }

    @Test
    void cidrBlocksMatchByPrefix() throws Exception {
        CidrBlock b = CidrBlock.parse("10.1.0.0/16");
        assertTrue(b.contains(InetAddress.getByName("10.1.200.3")));
        assertTrue(!b.contains(InetAddress.getByName("10.2.0.1")));
        assertTrue(!b.contains(InetAddress.getByName("::1")));
        assertTrue(CidrBlock.parse("::1").contains(InetAddress.getByName("::1")));
        assertTrue(CidrBlock.parse("0.0.0.0/0").contains(InetAddress.getByName("192.0.2.1")));
    }
}
