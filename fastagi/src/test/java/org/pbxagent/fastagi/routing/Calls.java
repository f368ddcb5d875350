package org.pbxagent.fastagi.routing;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pbxagent.fastagi.AgiRequest;

/** Builds AgiRequests the way the protocol layer does from {@code agi_network_script} and the agi_* block. */
final class Calls {
    private Calls() {}

    /** @param script e.g. {@code route?tenant=acme&did=100} */
    static AgiRequest request(String script, String callerId, String... args) {
        String name = script;
        Map<String, String> params = new LinkedHashMap<>();
        int q = script.indexOf('?');
        if (q >= 0) {
            name = script.substring(0, q);
            for (String kv : script.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    params.put(
                            URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("network", "yes");
        env.put("network_script", script);
        env.put("channel", "SIP/127.0.0.1-00000005");
        env.put("callerid", callerId == null ? "unknown" : callerId);
        env.put("calleridname", "sipp");
        String did = params.getOrDefault("did", params.getOrDefault("number", "s"));
        env.put("dnid", did);
        env.put("extension", did);
        env.put("context", "from-kamailio");
        return new AgiRequest(name, params, new ArrayList<>(List.of(args)), env);
    }
}
