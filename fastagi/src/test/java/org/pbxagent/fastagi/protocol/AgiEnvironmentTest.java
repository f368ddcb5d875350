package org.pbxagent.fastagi.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.AgiRequest;

class AgiEnvironmentTest {
    private static Map<String, String> env(String script, String... args) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("network", "yes");
        m.put("network_script", script);
        for (int i = 0; i < args.length; i++) {
            m.put("arg_" + (i + 1), args[i]);
        }
        return m;
    }

    @Test
    void scriptNameQueryAndArguments() throws Exception {
        AgiRequest r = AgiEnvironment.toRequest(env("route?tenant=acme&did=100", "arg1", "arg two"));
        assertEquals("route", r.script());
        assertEquals(Map.of("tenant", "acme", "did", "100"), r.parameters());
        assertEquals(List.of("arg1", "arg two"), r.arguments());
    }

    @Test
    void queryIsUrlDecodedAndKeptAsData() throws Exception {
        AgiRequest r = AgiEnvironment.toRequest(env("route?name=Zo%C3%AB+M&q=1%27%20OR%20%271%27%3D%271&flag&=x&&"));
        assertEquals("Zoë M", r.parameter("name"));
        assertEquals("1' OR '1'='1", r.parameter("q"));
        assertEquals("", r.parameter("flag"));
    }

    @Test
    void argumentsFollowTheirNumbers() throws Exception {
        Map<String, String> m = env("next");
        m.put("arg_10", "ten");
        m.put("arg_2", "two");
        m.put("arg_1", "one");
        assertEquals(List.of("one", "two", "ten"), AgiEnvironment.toRequest(m).arguments());
    }

    @Test
    void badInputIsAProtocolError() {
        assertThrows(AgiProtocolException.class, () -> AgiEnvironment.toRequest(env("route?x=%zz")));
        Map<String, String> m = env("route");
        m.put("arg_x", "1");
        assertThrows(AgiProtocolException.class, () -> AgiEnvironment.toRequest(m));
    }

    @Test
    void noScriptGivesAnEmptyName() throws Exception {
        assertEquals("", AgiEnvironment.toRequest(Map.of("network", "yes")).script());
    }
}
