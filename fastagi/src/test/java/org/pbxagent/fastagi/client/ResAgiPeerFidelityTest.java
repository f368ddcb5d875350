package org.pbxagent.fastagi.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.protocol.AgiCommands;

/**
 * The client behaves like res_agi where a lock-step recording cannot show it (REAL-BEHAVIOUR.md): a server that
 * writes its commands in one burst stalls against it for its whole reply timeout, as in Asterisk's own log
 * (agi-pipelined-stall.log: first command answered at once, the second read when the server gave up and closed, the
 * rest in the same millisecond); a lock-step server does not; there is no read timeout; a line longer than res_agi's
 * buffer runs as two commands.
 */
class ResAgiPeerFidelityTest {
    private static final long REPLY_TIMEOUT_MS = 1500;
    private static final List<String> NAMES = List.of(
            "ROUTE_TARGET",
            "ROUTE_TIMEOUT",
            "ROUTE_OPTIONS",
            "ROUTE_STEP",
            "ROUTE_TENANT",
            "ROUTE_REASON",
            "ROUTE_LIMIT",
            "ROUTE_LIMIT_GROUP",
            "ROUTE_DEGRADED",
            "ROUTE_ACTION");
    private static final List<String> VALUES =
            List.of("SIP/1001", "20", "", "ext:1001", "acme", "route:did-100", "2", "acme-1001", "0", "DIAL");

    /** What the test server saw: replies read before it closed, and whether its reply timeout ran out. */
    record ServerSide(int repliesRead, boolean timedOut, long firstToSecondReplyMs) {}

    /**
     * A FastAGI server in a thread: reads the environment, then writes the recorded route answer's ten
     * {@code SET VARIABLE}s, either in one write (pipelined, as the agent did) or one at a time after each reply;
     * waits for each reply at most {@link #REPLY_TIMEOUT_MS}, then closes.
     */
    private static CompletableFuture<ServerSide> server(ServerSocket ss, boolean pipelined) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = ss.accept()) {
                s.setTcpNoDelay(true);
                s.setSoTimeout((int) REPLY_TIMEOUT_MS);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (!readLine(in).isEmpty()) {
                    // environment
                }
                List<byte[]> cmds = new ArrayList<>();
                for (int i = 0; i < NAMES.size(); i++) {
                    cmds.add(
                            AgiCommands.setVariable(NAMES.get(i), VALUES.get(i)).getBytes(StandardCharsets.UTF_8));
                }
                if (pipelined) {
                    ByteArrayOutputStream burst = new ByteArrayOutputStream();
                    for (byte[] c : cmds) {
                        burst.write(c);
                    }
                    out.write(burst.toByteArray());
                }
                int read = 0;
                long first = 0;
                long second = 0;
                try {
                    for (byte[] c : cmds) {
                        if (!pipelined) {
                            out.write(c);
                        }
                        String reply = readLine(in);
                        if (!reply.startsWith("200")) {
                            throw new IOException("reply " + reply);
                        }
                        read++;
                        if (read == 1) {
                            first = System.nanoTime();
                        }
                        if (read == 2) {
                            second = System.nanoTime();
                        }
                    }
                } catch (SocketTimeoutException e) {
                    return new ServerSide(read, true, -1);
                }
                return new ServerSide(read, false, (second - first) / 1_000_000);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        if (c < 0) {
            throw new IOException("closed");
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static ServerSocket listen() throws IOException {
        return new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    }

    @Test
    void pipeliningServerStallsForItsWholeReplyTimeoutThenEveryCommandRuns() throws Exception {
        try (ServerSocket ss = listen()) {
            CompletableFuture<ServerSide> server = server(ss, true);
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            ss.getLocalPort(),
                            "route?tenant=acme&did=100",
                            Map.of(),
                            List.of(),
                            Duration.ofSeconds(20));
            ServerSide seen = server.get(10, TimeUnit.SECONDS);
            assertTrue(seen.timedOut(), "the server's reply timeout ran out: " + seen);
            assertEquals(1, seen.repliesRead(), "only the first command was answered while the server waited");
            long heldMs = r.holdNanos() / 1_000_000;
            assertTrue(
                    heldMs >= REPLY_TIMEOUT_MS - 50,
                    "the step held the channel for the whole reply timeout: " + heldMs);
            // After the close, Asterisk runs what it had buffered: the variables are all set, 5 s late in the log.
            assertEquals(NAMES.size(), r.roundTrips());
            assertEquals("DIAL", r.variable("ROUTE_ACTION"));
            assertEquals("SIP/1001", r.variable("ROUTE_TARGET"));
        }
    }

    @Test
    void lockStepServerIsAnsweredAtOnce() throws Exception {
        try (ServerSocket ss = listen()) {
            CompletableFuture<ServerSide> server = server(ss, false);
            AgiCallResult r = new AgiCallClient()
                    .call(
                            "127.0.0.1",
                            ss.getLocalPort(),
                            "route?tenant=acme&did=100",
                            Map.of(),
                            List.of(),
                            Duration.ofSeconds(20));
            ServerSide seen = server.get(10, TimeUnit.SECONDS);
            assertEquals(new ServerSide(NAMES.size(), false, seen.firstToSecondReplyMs()), seen);
            assertTrue(r.holdNanos() / 1_000_000 < REPLY_TIMEOUT_MS / 2, "held " + r.holdNanos() / 1_000_000 + " ms");
            assertEquals(VALUES.get(3), r.variable("ROUTE_STEP"));
        }
    }

    @Test
    void noReadTimeoutASilentServerHoldsTheCallUntilItAnswers() throws Exception {
        try (ServerSocket ss = listen()) {
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try (Socket s = ss.accept()) {
                    while (!readLine(s.getInputStream()).isEmpty()) {
                        // environment
                    }
                    Thread.sleep(1200);
                    s.getOutputStream()
                            .write("SET VARIABLE ROUTE_ACTION \"DIAL\"\n".getBytes(StandardCharsets.US_ASCII));
                    readLine(s.getInputStream());
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            AgiCallResult r = new AgiCallClient()
                    .call("127.0.0.1", ss.getLocalPort(), "route", Map.of(), List.of(), Duration.ofSeconds(20));
            server.get(10, TimeUnit.SECONDS);
            assertEquals("DIAL", r.variable("ROUTE_ACTION"));
            assertTrue(r.holdNanos() / 1_000_000 >= 1150, "held " + r.holdNanos() / 1_000_000 + " ms");
        }
    }

    @Test
    void lineLongerThanResAgisBufferRunsAsTwoCommands() throws Exception {
        try (ServerSocket ss = listen()) {
            String value = "x".repeat(9000);
            CompletableFuture<List<String>> server = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    while (!readLine(s.getInputStream()).isEmpty()) {
                        // environment
                    }
                    s.getOutputStream().write(("SET VARIABLE V " + value + "\n").getBytes(StandardCharsets.US_ASCII));
                    return List.of(readLine(s.getInputStream()), readLine(s.getInputStream()));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            AgiCallResult r = new AgiCallClient()
                    .call("127.0.0.1", ss.getLocalPort(), "route", Map.of(), List.of(), Duration.ofSeconds(20));
            // 8191 bytes run as one command (the value cut to 8191 - 16 bytes), the rest as an unknown command.
            assertEquals(List.of("200 result=1", "510 Invalid or unknown command"), server.get(10, TimeUnit.SECONDS));
            assertEquals(8191 - "SET VARIABLE V ".length(), r.variable("V").length());
        }
    }

    @Test
    void aUsageReplyIsThreeWritesEachReplyLineOnItsOwn() throws Exception {
        try (ServerSocket ss = listen()) {
            CompletableFuture<List<String>> server = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    while (!readLine(s.getInputStream()).isEmpty()) {
                        // environment
                    }
                    s.getOutputStream().write("SET VARIABLE\n".getBytes(StandardCharsets.US_ASCII));
                    return List.of(
                            readLine(s.getInputStream()), readLine(s.getInputStream()), readLine(s.getInputStream()));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            AgiCallResult r = new AgiCallClient()
                    .call("127.0.0.1", ss.getLocalPort(), "route", Map.of(), List.of(), Duration.ofSeconds(20));
            assertEquals(
                    List.of(ResAgiPeer.USAGE_START, "Sets a variable to the current channel.", ResAgiPeer.USAGE_END),
                    server.get(10, TimeUnit.SECONDS));
            assertTrue(r.variablesSet().isEmpty());
        }
    }
}
