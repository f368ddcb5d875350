package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a PBX taken over by an attacker can do to the proxy. Real Kamailio 5.6, the shipped kamailio.cfg; PBX2
 * (127.0.0.3) is the attacker, PBX1 (127.0.0.2) its victim. Every request of {@link #hostile} is sent byte for byte
 * from PBX2's address to the agents' socket and to the operator's; after each, the proxy's state is read and a
 * request counts as having got through if PBX1 was drained, its score changed or removed, or a forbidden method
 * answered. The same list of JSON bodies runs against the earlier configuration (a regex over the raw body before
 * jsonrpc_dispatch, kept as a test resource): there the escaped key and another PBX's URI got through.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KamailioHostileRequestsIT {
    private static final String PBX1 = "127.0.0.2";
    private static final String PBX2 = "127.0.0.3";
    /** PBX1's score as the test sets it through the operator's RPC; any other value means an attacker changed it. */
    private static final int CANARY = 17;

    private static Path dir;
    private static int pbxPort;
    private static String victim;
    private static String attacker;

    /** One request as raw bytes; {@code toOps}: sent to the operator's socket instead of the agents'. */
    record Hostile(String name, boolean toOps, String request) {}

    @BeforeAll
    static void ports() throws Exception {
        dir = Files.createTempDirectory("kamailio-hostile");
        pbxPort = RealParts.freePort(PBX1, PBX2);
        victim = "sip:" + PBX1 + ":" + pbxPort;
        attacker = "sip:" + PBX2 + ":" + pbxPort;
    }

    @AfterAll
    static void clean() {
        RealParts.deleteTree(dir);
    }

    private static String post(String target, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: proxy\r\n\r\n";
    }

    /** JSON-RPC bodies that try to get past a method filter, or use an allowed method on another PBX. */
    static List<String> jsonBodies() {
        return List.of(
                // The escaped key: Kamailio's parser decodes it, a regex over the raw body does not.
                "{\"jsonrpc\":\"2.0\",\"meth\\u006fd\":\"core.version\",\"id\":1,\"x\":{\"method\":\"htable.get\"}}",
                "{\"jsonrpc\":\"2.0\",\"meth\\u006fd\":\"htable.flush\",\"params\":[\"pbxload\"],\"id\":1,"
                        + "\"x\":\"\\\"method\\\":\\\"htable.get\\\"\"}",
                // Duplicate keys: which one wins is the parser's choice.
                "{\"jsonrpc\":\"2.0\",\"method\":\"htable.get\",\"params\":[\"pbxload\",\"k\"],"
                        + "\"meth\\u006fd\":\"htable.delete\",\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"htable.delete\",\"method\":\"htable.get\",\"params\":[\"pbxload\",\""
                        + "VICTIM\"],\"id\":1}",
                // Nested methods: the allowed name inside a value, the real one outside.
                "{\"jsonrpc\":\"2.0\",\"params\":{\"method\":\"dispatcher.list\"},\"meth\\u006fd\":\"core.version\","
                        + "\"id\":1}",
                // An escaped method value.
                "{\"jsonrpc\":\"2.0\",\"method\":\"htable.\\u0066lush\",\"params\":[\"pbxload\"],\"id\":1}",
                // A batch.
                "[{\"jsonrpc\":\"2.0\",\"method\":\"htable.get\",\"params\":[\"pbxload\",\"k\"],\"id\":1},"
                        + "{\"jsonrpc\":\"2.0\",\"meth\\u006fd\":\"core.version\",\"id\":2}]",
                // Allowed methods, another PBX's URI and key.
                "{\"jsonrpc\":\"2.0\",\"method\":\"dispatcher.set_state\",\"params\":[\"d\",1,\"VICTIM\"],\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"htable.setxi\",\"params\":[\"pbxload\",\"VICTIM\",99,600],\"id\":1}");
    }

    /** The whole list against the shipped configuration: bodies to every path and socket, then the URL shapes. */
    List<Hostile> hostile() {
        List<Hostile> list = new ArrayList<>();
        String own = "node=" + attacker;
        String other = "node=" + victim;
        for (String b : jsonBodies()) {
            String body = b.replace("VICTIM", victim);
            String shortName = body.length() > 60 ? body.substring(0, 60) : body;
            list.add(new Hostile("body to agents /RPC: " + shortName, false, post("/RPC", body)));
            list.add(new Hostile("body to agents /jsonrpc: " + shortName, false, post("/jsonrpc", body)));
            list.add(new Hostile(
                    "body to an own score URL: " + shortName,
                    false,
                    post("/pbx/score?" + own + "&score=10&ttl=3&id=1", body)));
            list.add(new Hostile("body to ops from a PBX: " + shortName, true, post("/RPC", body)));
        }
        // Another PBX's URI, in every way a URL can carry it.
        list.add(new Hostile("drain another PBX", false, post("/pbx/state?" + other + "&drain=1&id=1", "")));
        list.add(new Hostile("score another PBX", false, post("/pbx/score?" + other + "&score=99&ttl=600&id=1", "")));
        list.add(new Hostile(
                "duplicate node, own first", false, post("/pbx/state?" + own + "&drain=1&id=1&" + other, "")));
        list.add(new Hostile(
                "duplicate node, other first", false, post("/pbx/state?" + other + "&" + own + "&drain=1&id=1", "")));
        list.add(new Hostile(
                "percent-encoded separator", false, post("/pbx/state?" + own + "%26" + other + "&drain=1&id=1", "")));
        list.add(new Hostile(
                "percent-encoded URI",
                false,
                post("/pbx/state?node=sip%3A" + PBX1 + "%3A" + pbxPort + "&drain=1&id=1", "")));
        list.add(new Hostile(
                "victim host with a URI parameter",
                false,
                post("/pbx/state?" + other + ";transport=tcp&drain=1&id=1", "")));
        list.add(new Hostile(
                "own host, victim in a user part",
                false,
                post("/pbx/state?node=sip:" + PBX1 + "@" + PBX2 + ":" + pbxPort + "&drain=1&id=1", "")));
        list.add(new Hostile("score out of range", false, post("/pbx/score?" + other + "&score=999&ttl=3&id=1", "")));
        list.add(new Hostile(
                "path traversal", false, post("/pbx/../RPC", jsonBodies().get(0))));
        list.add(new Hostile("double slash", false, post("//pbx/state?" + other + "&drain=1&id=1", "")));
        list.add(new Hostile("matrix path", false, post("/pbx/state;x?" + other + "&drain=1&id=1", "")));
        list.add(new Hostile("GET with a drain", false, get("/pbx/state?" + other + "&drain=1&id=1")));
        list.add(new Hostile(
                "forged Host and X-Forwarded-For to ops",
                true,
                "POST /RPC HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 127.0.0.1\r\nContent-Length: "
                        + jsonBodies().get(0).length() + "\r\n\r\n"
                        + jsonBodies().get(0)));
        list.add(new Hostile(
                "chunked body to the agents' /RPC",
                false,
                "POST /RPC HTTP/1.1\r\nHost: proxy\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(jsonBodies().get(0).length()) + "\r\n"
                        + jsonBodies().get(0)
                        + "\r\n0\r\n\r\n"));
        list.add(new Hostile(
                "own request, then another PBX's drain pipelined",
                false,
                post("/pbx/score?" + own + "&score=10&ttl=3&id=1", "")
                        + post("/pbx/state?" + other + "&drain=1&id=2", "")));
        String big = " ".repeat(200_000) + jsonBodies().get(0);
        list.add(new Hostile("oversized body to the agents' /RPC", false, post("/RPC", big)));
        list.add(new Hostile(
                "oversized URL", false, post("/pbx/state?" + own + "&drain=1&id=1&x=" + "a".repeat(100_000), "")));
        return list;
    }

    @Test
    void noHostileRequestGetsThroughTheShippedConfigurationAndTheAgentsStillWork() throws Exception {
        Path d = Files.createDirectories(dir.resolve("shipped"));
        try (KamailioProcess k = new KamailioProcess(
                        d,
                        RealParts.freePort("127.0.0.1"),
                        RealParts.freePort("127.0.0.1"),
                        List.of(victim, attacker));
                KamailioRpc asAttacker = KamailioProcess.probeFrom(PBX2)) {
            k.start();
            Observer o = new Observer(k.ops(), k.opsUrl());
            o.reset();
            List<String> through = new ArrayList<>();
            List<Hostile> list = hostile();
            for (Hostile h : list) {
                String answer = send(PBX2, h.toOps() ? k.opsPort : k.rpcPort, h.request(), 3000);
                System.out.printf(
                        "  %-70s %s%n",
                        h.name().replace('\n', ' '), answer.lines().findFirst().orElse("(no answer)"));
                String effect = o.effect(answer);
                if (effect != null) {
                    through.add(h.name() + " -> " + effect);
                    o.reset();
                }
            }
            System.out.printf(
                    "shipped kamailio.cfg: %d of %d hostile requests got through%n", through.size(), list.size());
            assertEquals(List.of(), through, "hostile requests that got through");

            // Slow bodies hold only their own connections: the agents' requests are answered meanwhile.
            List<CompletableFuture<String>> slow = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                slow.add(CompletableFuture.supplyAsync(() -> dripped(
                        PBX2,
                        k.rpcPort,
                        post(
                                "/pbx/state?node=" + victim + "&drain=1&id=1",
                                jsonBodies().get(7).replace("VICTIM", victim)),
                        4000)));
            }
            Thread.sleep(500);
            RpcResult mine = asAttacker.score(k.rpcUrl(), attacker, 40, 60).get(5, TimeUnit.SECONDS);
            assertTrue(mine.ok(), "own score while slow bodies drip: " + mine);
            for (CompletableFuture<String> f : slow) {
                String answer = f.get(30, TimeUnit.SECONDS);
                assertTrue(!answer.startsWith("HTTP/1.1 200"), answer);
            }
            assertEquals(null, o.effect(""), "slow bodies changed nothing");

            // What a PBX is for still works: its own score, drain and undrain, and the list.
            assertTrue(asAttacker.state(k.rpcUrl(), attacker, true).get().ok());
            assertTrue(k.flags().get(attacker).startsWith("D"), k.flags().toString());
            assertTrue(asAttacker.state(k.rpcUrl(), attacker, false).get().ok());
            assertTrue(k.flags().get(attacker).startsWith("A"), k.flags().toString());
            assertEquals(40, k.score(attacker));
            assertTrue(asAttacker.list(k.rpcUrl()).get().ok());
            // The operator on the proxy host still has the full RPC.
            RpcResult version = k.ops().call(k.opsUrl(), "core.version").get();
            assertTrue(version.ok() && version.result().asText().startsWith("kamailio 5."), version.toString());
        }
    }

    @Test
    void theEarlierRegexFilteredConfigurationLetTheEscapedKeyAndAnotherPbxsUriThrough() throws Exception {
        Path d = Files.createDirectories(dir.resolve("earlier"));
        try (KamailioProcess k = new KamailioProcess(
                        d,
                        RealParts.freePort("127.0.0.1"),
                        RealParts.freePort("127.0.0.1"),
                        List.of(victim, attacker),
                        RealParts.resource("kamailio-5.6/kamailio-regex-filter.cfg"));
                KamailioRpc fromPbx = KamailioProcess.probeFrom(PBX2)) {
            URI rpc = URI.create("http://127.0.0.1:" + k.rpcPort + "/RPC");
            k.start(fromPbx, rpc);
            // That configuration has no operator socket: the PBX-reachable methods are all the test can use.
            Observer o = new Observer(fromPbx, rpc);
            o.reset();
            List<String> through = new ArrayList<>();
            List<String> bodies = jsonBodies();
            for (String b : bodies) {
                String answer = send(PBX2, k.rpcPort, post("/RPC", b.replace("VICTIM", victim)), 3000);
                String effect = o.effect(answer);
                if (effect != null) {
                    through.add(b + " -> " + effect);
                    o.reset();
                }
            }
            System.out.printf(
                    "earlier kamailio.cfg: %d of %d hostile bodies got through:%n  %s%n",
                    through.size(), bodies.size(), String.join("\n  ", through));
            assertTrue(
                    through.stream().anyMatch(t -> t.startsWith(bodies.get(0)) && t.contains("core.version")),
                    "the escaped key ran core.version: " + through);
            assertTrue(through.stream().anyMatch(t -> t.contains("dispatcher.set_state")), through.toString());
        }
    }

    /**
     * Reads the proxy's state: PBX1 in the dispatcher set not drained and its score {@link #CANARY}. {@link #reset}
     * puts that state back through {@code rpc} at {@code url}.
     */
    private record Observer(KamailioRpc rpc, URI url) {
        void reset() throws Exception {
            RpcResult set = rpc.call(url, "htable.setxi", "pbxload", victim, CANARY, 600)
                    .get();
            assertTrue(set.ok(), set.toString());
            RpcResult ap =
                    rpc.call(url, "dispatcher.set_state", "ap", 1, victim).get();
            assertTrue(ap.ok(), ap.toString());
        }

        /** Null when nothing happened, else what the request did. */
        String effect(String answer) throws Exception {
            if (answer.contains("kamailio 5.")) {
                return "core.version answered";
            }
            RpcResult list = rpc.call(url, "dispatcher.list").get();
            assertTrue(list.ok(), "the proxy still answers: " + list);
            String flags = LoadReporter.destinations(list.result(), 1).get(victim);
            if (flags != null && flags.startsWith("D")) {
                return "dispatcher.set_state drained PBX1";
            }
            RpcResult score = rpc.call(url, "htable.get", "pbxload", victim).get();
            if (!score.ok()) {
                return "PBX1's score removed (" + score + ")";
            }
            int v = score.result().path("item").path("value").asInt();
            return v == CANARY ? null : "PBX1's score set to " + v;
        }
    }

    /** Sends {@code request} from {@code source} and returns what came back within {@code waitMs} ("" if nothing). */
    private static String send(String source, int port, String request, int waitMs) {
        try (Socket s = connect(source, port)) {
            s.setSoTimeout(waitMs);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                return "(closed while sending: " + e.getMessage() + ")";
            }
            return readAnswer(s.getInputStream());
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /** Sends the headers, then the body one byte every {@code totalMs / length} ms. */
    private static String dripped(String source, int port, String request, long totalMs) {
        int split = request.indexOf("\r\n\r\n") + 4;
        try (Socket s = connect(source, port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.substring(0, split).getBytes(StandardCharsets.UTF_8));
            out.flush();
            byte[] body = request.substring(split).getBytes(StandardCharsets.UTF_8);
            long pause = Math.max(1, totalMs / body.length);
            for (byte b : body) {
                out.write(b);
                out.flush();
                Thread.sleep(pause);
            }
            return readAnswer(s.getInputStream());
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static Socket connect(String source, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 2000);
        return s;
    }

    /** Every byte until the peer closes or goes quiet (a keep-alive answer ends in the read timeout). */
    private static String readAnswer(InputStream in) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                got.write(buf, 0, n);
                if (complete(got.toString(StandardCharsets.UTF_8))) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            // Quiet: what came is the answer.
        } catch (IOException e) {
            got.writeBytes(("(" + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8));
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    /** One whole HTTP answer (headers and Content-Length bytes) has arrived, and it was not the first of two. */
    private static boolean complete(String s) {
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(s.substring(0, end));
        return m.find() && s.length() - end - 4 >= Integer.parseInt(m.group(1)) && !s.startsWith("HTTP/1.1 200");
    }
}
