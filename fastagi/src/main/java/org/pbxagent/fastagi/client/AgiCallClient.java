package org.pbxagent.fastagi.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.pbxagent.fastagi.protocol.AgiCommands;
import org.pbxagent.fastagi.protocol.AgiEnvironment;
import org.pbxagent.fastagi.protocol.AgiText;

/**
 * Plays Asterisk's side of one FastAGI session as Asterisk 20's res_agi does ({@link ResAgiPeer}): connects within
 * res_agi's 2 s connect limit, sends the environment block exactly as Asterisk 20 does (same keys, same order,
 * {@code \n} line ends, one write per line, Nagle left on), then polls the socket and reads one command per
 * readiness through a stdio-sized buffer, answering each as Asterisk would (or as a responder says), each reply line
 * its own write. A server that writes a second command before the first reply stalls against it exactly as against
 * Asterisk. Used to ask a running agent for a decision ({@code agi-call}) and by tests.
 *
 * <p>Asterisk has no read timeout on a FastAGI socket; neither has this client. The {@code timeout} of
 * {@link #call} only bounds the whole session so that a caller (a test, the command line) always gets control back.
 */
public final class AgiCallClient {
    /** res_agi's connect limit (MAX_AGI_CONNECT). */
    static final int MAX_AGI_CONNECT_MS = 2000;

    private static final AtomicLong sequence = new AtomicLong(1);

    private final Function<String, String> responder;

    /** A client with Asterisk's default answers. */
    public AgiCallClient() {
        this(command -> null);
    }

    /**
     * @param responder given each command line (no line end); returns the reply text to send (several lines
     *                  separated by {@code \n}, e.g. {@code "HANGUP\n200 result=1"}), or null for the default answer
     */
    public AgiCallClient(Function<String, String> responder) {
        this.responder = responder;
    }

    /**
     * Runs one session against {@code host:port}.
     *
     * @param scriptWithQuery e.g. {@code route?tenant=acme&did=100} (as in {@code agi://host:port/<this>})
     * @param env             environment values by key without {@code agi_} (e.g. {@code callerid}, {@code dnid});
     *                        they replace the defaults, and keys Asterisk does not send are appended in order
     * @param args            {@code agi_arg_1..N}
     * @param timeout         bound on the whole session (connect, every wait, until the server closes)
     * @throws SocketTimeoutException when the server neither finishes nor closes within the timeout
     * @throws IOException            when the connection fails
     */
    public AgiCallResult call(
            String host, int port, String scriptWithQuery, Map<String, String> env, List<String> args, Duration timeout)
            throws IOException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        StringBuilder transcript = new StringBuilder(2048);
        List<byte[]> lines = environmentLines(host, port, scriptWithQuery, env, args, transcript);
        ResAgiPeer peer = new ResAgiPeer(responder, transcript);
        long firstCommandAt = 0;
        long endedAt;
        try (SocketChannel ch = SocketChannel.open();
                Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
            if (!ch.connect(new InetSocketAddress(host, port))) {
                long connectBy = Math.min(deadline, t0 + MAX_AGI_CONNECT_MS * 1_000_000L);
                while (!ch.finishConnect()) {
                    long left = (connectBy - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw new SocketTimeoutException("connect to " + host + ":" + port + " timed out");
                    }
                    selector.select(left);
                    selector.selectedKeys().clear();
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            for (byte[] l : lines) {
                writeAll(ch, l, deadline, timeout, transcript);
            }
            while (true) {
                awaitReadable(selector, deadline, timeout, transcript);
                ResAgiPeer.Read r = peer.nextCommand(ch);
                if (r == ResAgiPeer.Read.NEED_MORE) {
                    continue;
                }
                if (r == ResAgiPeer.Read.END) {
                    break;
                }
                if (firstCommandAt == 0) {
                    firstCommandAt = System.nanoTime();
                }
                List<String> reply = peer.reply(peer.command());
                if (reply == ResAgiPeer.WAIT) {
                    waitForDigit(peer.waitMillis(), deadline, timeout, transcript);
                }
                for (String l : reply) {
                    // Each line its own write; after the server closed they go nowhere, as in Asterisk.
                    if (!peer.serverClosed()) {
                        writeQuietly(ch, (l + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            endedAt = System.nanoTime();
            // res_agi tells the script the session is over, whether or not anybody still listens.
            writeQuietly(ch, HANGUP);
        }
        return new AgiCallResult(
                peer.variablesSet(),
                peer.commands(),
                transcript.toString(),
                endedAt - t0,
                firstCommandAt == 0 ? -1 : firstCommandAt - t0);
    }

    private static final byte[] HANGUP = "HANGUP\n".getBytes(StandardCharsets.US_ASCII);

    /** Like res_agi's {@code ast_waitfor_nandfds} on the socket alone, bounded only by the session's limit. */
    private static void awaitReadable(Selector selector, long deadline, Duration timeout, StringBuilder transcript)
            throws IOException {
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw timeout(timeout, transcript);
            }
            if (selector.select(left) > 0) {
                selector.selectedKeys().clear();
                return;
            }
        }
    }

    private static void waitForDigit(long ms, long deadline, Duration timeout, StringBuilder transcript)
            throws SocketTimeoutException {
        long until = ms < 0 ? deadline : Math.min(deadline, System.nanoTime() + ms * 1_000_000L);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw timeout(timeout, transcript);
            }
        }
        if (ms < 0 || System.nanoTime() - deadline >= 0) {
            throw timeout(timeout, transcript);
        }
    }

    private static void writeAll(SocketChannel ch, byte[] b, long deadline, Duration timeout, StringBuilder transcript)
            throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            if (ch.write(buf) == 0) {
                if (System.nanoTime() - deadline >= 0) {
                    throw timeout(timeout, transcript);
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw timeout(timeout, transcript);
                }
            }
        }
    }

    private static void writeQuietly(SocketChannel ch, byte[] b) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(b);
            for (int i = 0; i < 1000 && buf.hasRemaining(); i++) {
                ch.write(buf);
            }
        } catch (IOException e) {
            // the server is gone; Asterisk goes on with what it has buffered
        }
    }

    /** The environment block Asterisk 20 sends for {@code agi://host:port/scriptWithQuery}, bytes on the wire. */
    public static byte[] environmentBlock(
            String host, int port, String scriptWithQuery, Map<String, String> env, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        for (byte[] l : environmentLines(host, port, scriptWithQuery, env, args, new StringBuilder())) {
            out.write(l, 0, l.length);
        }
        return out.toByteArray();
    }

    /** The same block as one byte array per line (Asterisk writes each line on its own). */
    public static List<byte[]> environmentLines(
            String host, int port, String scriptWithQuery, Map<String, String> env, List<String> args) {
        return environmentLines(host, port, scriptWithQuery, env, args, new StringBuilder());
    }

    private static List<byte[]> environmentLines(
            String host,
            int port,
            String scriptWithQuery,
            Map<String, String> env,
            List<String> args,
            StringBuilder transcript) {
        Map<String, String> values = new LinkedHashMap<>();
        long seq = sequence.getAndIncrement();
        values.put("network", "yes");
        values.put("network_script", scriptWithQuery);
        values.put("request", "agi://" + host + ":" + port + "/" + scriptWithQuery);
        values.put("channel", String.format("SIP/127.0.0.1-%08x", seq));
        values.put("language", "en");
        values.put("type", "SIP");
        values.put("uniqueid", (System.currentTimeMillis() / 1000) + "." + seq);
        values.put("version", "20.20.1");
        values.put("callerid", "unknown");
        values.put("calleridname", "unknown");
        values.put("callingpres", "0");
        values.put("callingani2", "0");
        values.put("callington", "0");
        values.put("callingtns", "0");
        values.put("dnid", "unknown");
        values.put("rdnis", "unknown");
        values.put("context", "default");
        values.put("extension", "s");
        values.put("priority", "1");
        values.put("enhanced", "0.0");
        values.put("accountcode", "");
        values.put("threadid", Long.toString(Thread.currentThread().getId()));
        for (Map.Entry<String, String> e : env.entrySet()) {
            String k = e.getKey().startsWith("agi_") ? e.getKey().substring(4) : e.getKey();
            values.put(k, e.getValue());
        }
        List<byte[]> lines = new ArrayList<>(32);
        for (String k : AgiEnvironment.ASTERISK_20_KEYS) {
            appendLine(lines, transcript, k, values.remove(k));
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            appendLine(lines, transcript, e.getKey(), e.getValue());
        }
        for (int i = 0; i < args.size(); i++) {
            appendLine(lines, transcript, "arg_" + (i + 1), args.get(i));
        }
        lines.add(new byte[] {'\n'});
        transcript.append("A> \n");
        return lines;
    }

    private static void appendLine(List<byte[]> lines, StringBuilder transcript, String key, String value) {
        String v = value == null ? "" : value.replace('\n', ' ').replace('\r', ' ');
        lines.add(("agi_" + key + ": " + v + "\n").getBytes(StandardCharsets.UTF_8));
        transcript.append("A> agi_").append(key).append(": ").append(v).append('\n');
    }

    private static SocketTimeoutException timeout(Duration timeout, StringBuilder transcript) {
        return new SocketTimeoutException(
                "FastAGI server did not finish the session within " + timeout.toMillis() + " ms; exchange so far:\n"
                        + AgiText.printable(transcript, 4000).replace("\\x0a", "\n"));
    }

    /** Asterisk 20's answer to one command on a live channel with the given variables (tests). */
    static String defaultReply(String command, Map<String, String> channelVars) {
        ResAgiPeer peer = new ResAgiPeer(null, null);
        for (Map.Entry<String, String> e : channelVars.entrySet()) {
            peer.reply(AgiCommands.setVariable(e.getKey(), e.getValue()).trim());
        }
        return String.join("\n", peer.reply(command));
    }
}
