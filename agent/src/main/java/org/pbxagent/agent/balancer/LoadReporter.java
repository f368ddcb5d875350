package org.pbxagent.agent.balancer;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pbxagent.agent.load.NodeLoad;
import org.pbxagent.agent.load.NodeLoadListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes this node's load score to every configured Kamailio at its own address (dispatcher and htable state are
 * per instance, and the standby proxy must be ready when the floating IP moves). Each {@link NodeLoad} goes out at
 * once with a TTL; the full state (score and dispatcher state) is re-sent every {@code resendInterval}, and to a
 * Kamailio as soon as it answers again after being unreachable; a drain is repeated every {@code retryInterval}.
 * So a restarted Kamailio, noticed or not, has this node's state back within one interval.
 */
public final class LoadReporter implements NodeLoadListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadReporter.class);

    private final BalancerTarget target;
    private final KamailioRpc rpc;
    private final List<KamailioLink> links;
    private final Duration resendInterval;
    private final Duration retryInterval;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private volatile NodeLoad latest;

    /**
     * @param resendInterval full re-send to every Kamailio (e.g. 5 s)
     * @param retryInterval  how often an unreachable Kamailio is tried again and a drain repeated (the load interval)
     */
    public LoadReporter(
            List<URI> kamailios,
            BalancerTarget target,
            KamailioRpc rpc,
            Duration resendInterval,
            Duration retryInterval,
            Clock clock) {
        this.target = target;
        this.rpc = rpc;
        this.resendInterval = resendInterval;
        this.retryInterval = retryInterval;
        this.clock = clock;
        List<KamailioLink> l = new ArrayList<>();
        for (URI u : kamailios) {
            l.add(new KamailioLink(u, rpc, target, clock));
        }
        this.links = List.copyOf(l);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "load-reporter");
            t.setDaemon(true);
            return t;
        });
    }

    @SuppressWarnings("FutureReturnValueIgnored") // both tasks catch and log their failures; shutdown ends them
    public void start() {
        checkNodeIsKnown();
        long resend = resendInterval.toMillis();
        timer.scheduleAtFixedRate(this::resendAll, resend, resend, TimeUnit.MILLISECONDS);
        long retry = retryInterval.toMillis();
        timer.scheduleAtFixedRate(this::tick, retry, retry, TimeUnit.MILLISECONDS);
    }

    /**
     * A node URI that is not in a Kamailio's dispatcher set makes every drain fail there ("State Update Failed") and
     * its score unused: say so once at start, naming the key, instead of only in each push's error.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // a check that only logs; its own failures are logged below
    private void checkNodeIsKnown() {
        dispatcherLists()
                .thenAccept(lists -> lists.forEach((url, r) -> {
                    if (!r.ok()) {
                        return;
                    }
                    try {
                        Map<String, String> dests = destinations(r.result(), target.setId());
                        if (!dests.containsKey(target.nodeUri())) {
                            log.error(
                                    "kamailio.node-uri {} is not in dispatcher set {} of {} (it has {}): drains will fail "
                                            + "there and its routing will not see this node's score",
                                    target.nodeUri(),
                                    target.setId(),
                                    url,
                                    dests.keySet());
                        }
                    } catch (RuntimeException e) {
                        log.warn("dispatcher.list of {} not understood: {}", url, e.toString());
                    }
                }));
    }

    /** Never blocks: the pushes are asynchronous and coalesced per Kamailio. */
    @Override
    public void onLoad(NodeLoad load) {
        latest = load;
        for (KamailioLink link : links) {
            link.pushScore(load.score());
        }
    }

    List<KamailioLink> links() {
        return links;
    }

    public NodeLoad latest() {
        return latest;
    }

    public BalancerTarget target() {
        return target;
    }

    /** Sets this node's dispatcher state in every Kamailio; completes when each has answered or timed out. */
    public CompletableFuture<Map<URI, RpcResult>> pushState(boolean drained) {
        Map<URI, CompletableFuture<RpcResult>> futures = new LinkedHashMap<>();
        for (KamailioLink link : links) {
            futures.put(link.url(), link.pushState(drained));
        }
        return CompletableFuture.allOf(futures.values().toArray(new CompletableFuture<?>[0]))
                .thenApply(v -> {
                    Map<URI, RpcResult> out = new LinkedHashMap<>();
                    futures.forEach((u, f) -> out.put(u, f.join()));
                    return out;
                });
    }

    /** {@code dispatcher.list} from every Kamailio (its agent endpoint's list), in parallel. */
    public CompletableFuture<Map<URI, RpcResult>> dispatcherLists() {
        Map<URI, CompletableFuture<RpcResult>> futures = new LinkedHashMap<>();
        for (KamailioLink link : links) {
            futures.put(link.url(), rpc.list(link.url()));
        }
        return CompletableFuture.allOf(futures.values().toArray(new CompletableFuture<?>[0]))
                .thenApply(v -> {
                    Map<URI, RpcResult> out = new LinkedHashMap<>();
                    futures.forEach((u, f) -> out.put(u, f.join()));
                    return out;
                });
    }

    /** Per Kamailio: URL, last push time and result, last error. */
    public List<Map<String, Object>> status() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (KamailioLink link : links) {
            out.add(link.status());
        }
        return out;
    }

    public long pushes() {
        long n = 0;
        for (KamailioLink link : links) {
            n += link.pushes();
        }
        return n;
    }

    public long failures() {
        long n = 0;
        for (KamailioLink link : links) {
            n += link.failures();
        }
        return n;
    }

    private void resendAll() {
        try {
            dropStaleScore();
            for (KamailioLink link : links) {
                link.resendAll();
            }
        } catch (RuntimeException e) {
            log.warn("periodic re-send failed: {}", e.toString());
        }
    }

    private void tick() {
        try {
            dropStaleScore();
            for (KamailioLink link : links) {
                link.tick();
            }
        } catch (RuntimeException e) {
            log.warn("retry of unreachable Kamailio failed: {}", e.toString());
        }
    }

    /**
     * A score older than its TTL is not re-sent: if the load monitor went quiet, the key must expire in Kamailio
     * (the routing script then falls back to dispatcher order) rather than be kept alive with an old value.
     */
    private void dropStaleScore() {
        NodeLoad l = latest;
        if (l != null
                && l.sampledAt() != null
                && Duration.between(l.sampledAt(), clock.instant()).compareTo(target.scoreTtl()) > 0) {
            for (KamailioLink link : links) {
                link.forgetScore();
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Destinations of {@code setId} in a {@code dispatcher.list} answer: URI → FLAGS (e.g. AP, IP, DX). */
    static Map<String, String> destinations(JsonNode listResult, int setId) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode rec : asArray(listResult.path("RECORDS"))) {
            JsonNode set = rec.path("SET");
            if (set.path("ID").asInt(-1) != setId) {
                continue;
            }
            for (JsonNode t : asArray(set.path("TARGETS"))) {
                JsonNode dest = t.path("DEST");
                String uri = dest.path("URI").asText("");
                if (!uri.isEmpty()) {
                    out.put(uri, dest.path("FLAGS").asText(""));
                }
            }
        }
        return out;
    }

    private static Iterable<JsonNode> asArray(JsonNode n) {
        if (n.isArray()) {
            return n;
        }
        return n.isMissingNode() || n.isNull() ? List.of() : List.of(n);
    }

    Instant now() {
        return clock.instant();
    }
}
