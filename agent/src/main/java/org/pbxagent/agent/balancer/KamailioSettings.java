package org.pbxagent.agent.balancer;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.pbxagent.agent.config.ConfigSource;

/**
 * {@code kamailio.*}: where this node's load and drain state go. Load reporting is on when {@code rpc-urls} is set.
 *
 * @param rpcUrls         every Kamailio's own agent endpoint, {@code http://PROXY:5071/pbx} (not the floating IP:
 *                        state is per instance)
 * @param target          this node in the dispatcher set and the htable
 * @param sourceAddress   local address the pushes leave from (null: the system's choice); the proxy accepts a
 *                        request only from the address in the node URI
 * @param connectTimeout  TCP connect deadline per Kamailio
 * @param requestTimeout  answer deadline per request
 * @param resendInterval  full state re-send to every Kamailio (a restarted one catches up within it)
 * @param retryInterval   an unreachable Kamailio is tried this often, and gets the full state when it answers
 */
public record KamailioSettings(
        List<URI> rpcUrls,
        BalancerTarget target,
        String sourceAddress,
        Duration connectTimeout,
        Duration requestTimeout,
        Duration resendInterval,
        Duration retryInterval) {

    private static final java.util.regex.Pattern NODE_URI =
            java.util.regex.Pattern.compile("sip:((?:[0-9]{1,3}\\.){3}[0-9]{1,3})(?::[0-9]{1,5})?");

    /** Null when {@code kamailio.rpc-urls} is not set (no load reporting). */
    public static KamailioSettings read(ConfigSource s) {
        List<URI> urls = s.urlList("rpc-urls", "", "http", "https");
        int setId = s.intRange("dispatcher-set", 1, 0, 65535);
        String nodeUri = s.string("node-uri", "");
        String htable = s.string("htable", "pbxload");
        String key = s.string("htable-key", nodeUri);
        Duration ttl = s.millis("score-ttl-ms", 3000, 1000, 600_000);
        String source = s.ipAddress("source-address", null);
        Duration connect = s.millis("connect-timeout-ms", 500, 50, 30_000);
        Duration request = s.millis("request-timeout-ms", 1000, 100, 60_000);
        Duration resend = s.millis("resend-interval-ms", 5000, 500, 600_000);
        Duration retry = s.millis("retry-interval-ms", 1000, 100, 60_000);
        if (urls.isEmpty() && !s.isSet("rpc-urls")) {
            if (s.isSet("node-uri")) {
                s.problem("rpc-urls", "missing: kamailio.node-uri is set but no Kamailio agent endpoint URL is given");
            }
            return null;
        }
        if (nodeUri.isBlank()) {
            s.problem("node-uri", "missing: this PBX as in Kamailio's dispatcher list, e.g. sip:10.0.0.21:5060");
            return null;
        }
        if (ttl.toMillis() % 1000 != 0) {
            s.problem("score-ttl-ms", "must be whole seconds (Kamailio's htable TTL), was " + ttl.toMillis());
        }
        if (request.compareTo(retry) > 0) {
            s.problem("request-timeout-ms", "must not exceed kamailio.retry-interval-ms (" + retry.toMillis() + ")");
        }
        // The proxy ties a request to the PBX it names by the host of this URI = the request's source address.
        java.util.regex.Matcher node = NODE_URI.matcher(nodeUri);
        if (!node.matches()) {
            s.problem(
                    "node-uri",
                    "must be sip:<IPv4 address>[:port] as in the dispatcher list (the proxy checks the"
                            + " host against the address the request comes from), was " + nodeUri);
            return null;
        }
        if (source != null && !source.equals(node.group(1))) {
            s.problem(
                    "source-address",
                    "must be the node URI's address " + node.group(1) + " (the proxy accepts this"
                            + " node's updates only from there), was " + source);
        }
        if (!"pbxload".equals(htable) || !nodeUri.equals(key)) {
            s.problem(
                    s.isSet("htable-key") && !nodeUri.equals(key) ? "htable-key" : "htable",
                    "fixed by the proxy: scores go to its htable pbxload under the node URI; remove the key");
        }
        for (URI u : urls) {
            String path = u.getPath() == null ? "" : u.getPath();
            if (!path.equals("/pbx") && !path.equals("/pbx/") || u.getQuery() != null) {
                s.problem(
                        "rpc-urls",
                        "the proxy's agent endpoint is http://PROXY:PORT/pbx (kamailio.cfg AGENT_PORT)," + " was " + u);
            }
        }
        BalancerTarget target;
        try {
            target = new BalancerTarget(setId, nodeUri, htable, key, ttl);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String k = m.startsWith("node URI")
                    ? "node-uri"
                    : m.startsWith("htable name")
                            ? "htable"
                            : m.startsWith("htable key") ? "htable-key" : "score-ttl-ms";
            s.problem(k, m);
            return null;
        }
        return new KamailioSettings(urls, target, source, connect, request, resend, retry);
    }

    @Override
    public String toString() {
        return "kamailio: rpc-urls=" + rpcUrls + " dispatcher-set=" + target.setId() + " node-uri=" + target.nodeUri()
                + " htable=" + target.htable() + " htable-key=" + target.htableKey() + " score-ttl="
                + target.scoreTtl().toMillis() + "ms source-address=" + (sourceAddress == null ? "-" : sourceAddress)
                + " connect-timeout=" + connectTimeout.toMillis() + "ms request-timeout=" + requestTimeout.toMillis()
                + "ms resend-interval=" + resendInterval.toMillis() + "ms retry-interval=" + retryInterval.toMillis()
                + "ms";
    }
}
