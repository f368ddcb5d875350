package org.pbxagent.fastagi.protocol;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pbxagent.fastagi.AgiRequest;

/**
 * The environment block Asterisk sends at the start of a FastAGI session: {@code agi_key: value} lines, in a fixed
 * order, ended by an empty line. Turns a parsed block into an {@link AgiRequest} (script name and URL-decoded query
 * parameters from {@code agi_network_script}, arguments from {@code agi_arg_N}).
 */
public final class AgiEnvironment {
    /** Keys (without {@code agi_}) in the order Asterisk 20 sends them, before the {@code agi_arg_N} lines. */
    public static final List<String> ASTERISK_20_KEYS = List.of(
            "network",
            "network_script",
            "request",
            "channel",
            "language",
            "type",
            "uniqueid",
            "version",
            "callerid",
            "calleridname",
            "callingpres",
            "callingani2",
            "callington",
            "callingtns",
            "dnid",
            "rdnis",
            "context",
            "extension",
            "priority",
            "enhanced",
            "accountcode",
            "threadid");

    private AgiEnvironment() {}

    /**
     * @param env every {@code agi_*} key without the prefix, as received (order kept)
     * @throws AgiProtocolException if the query string cannot be decoded or an argument number is bad
     */
    public static AgiRequest toRequest(Map<String, String> env) throws AgiProtocolException {
        String networkScript = env.get("network_script");
        String script = "";
        Map<String, String> params = Collections.emptyMap();
        if (networkScript != null) {
            int q = networkScript.indexOf('?');
            script = q < 0 ? networkScript : networkScript.substring(0, q);
            if (q >= 0) {
                params = parseQuery(networkScript.substring(q + 1));
            }
        }
        List<String> args = Collections.emptyList();
        TreeMap<Integer, String> numbered = null;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("arg_")) {
                int n;
                try {
                    n = Integer.parseInt(k, 4, k.length(), 10);
                } catch (NumberFormatException ex) {
                    throw new AgiProtocolException("bad argument key agi_" + AgiText.printable(k, 40));
                }
                if (n < 1) {
                    throw new AgiProtocolException("bad argument key agi_" + k);
                }
                if (numbered == null) {
                    numbered = new TreeMap<>();
                }
                numbered.put(n, e.getValue());
            }
        }
        if (numbered != null) {
            args = new ArrayList<>(numbered.values());
        }
        return new AgiRequest(script, params, args, env);
    }

    /** {@code tenant=acme&did=100} into an ordered map, URL-decoded (UTF-8, '+' is a space). */
    public static Map<String, String> parseQuery(String query) throws AgiProtocolException {
        Map<String, String> params = new LinkedHashMap<>();
        int start = 0;
        while (start <= query.length()) {
            int amp = query.indexOf('&', start);
            int end = amp < 0 ? query.length() : amp;
            if (end > start) {
                int eq = query.indexOf('=', start);
                String name;
                String value;
                if (eq < 0 || eq > end) {
                    name = decode(query.substring(start, end));
                    value = "";
                } else {
                    name = decode(query.substring(start, eq));
                    value = decode(query.substring(eq + 1, end));
                }
                params.put(name, value);
            }
            if (amp < 0) {
                break;
            }
            start = amp + 1;
        }
        return params;
    }

    private static String decode(String s) throws AgiProtocolException {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AgiProtocolException("bad URL encoding in script query: " + AgiText.printable(s, 60));
        }
    }
}
