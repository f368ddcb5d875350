package org.pbxagent.fastagi.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.pbxagent.fastagi.protocol.AgiCommands;
import org.pbxagent.fastagi.protocol.AgiEnvironment;
import org.pbxagent.fastagi.protocol.AgiText;

/**
 * Plays Asterisk's side of one FastAGI session: connects, sends the environment block exactly as Asterisk 20 does
 * (same keys, same order, {@code \n} line ends), answers each command the way Asterisk would, and records what the
 * server set. Used to ask a running agent for a decision ({@code agi-call}) and by tests.
 *
 * <p>Default answers: {@code SET VARIABLE} 200 result=1 (520 usage when arguments are missing), {@code GET VARIABLE}
 * the value set earlier in this session or result=0, {@code ANSWER}/{@code WAIT FOR DIGIT}/{@code EXEC} 200 result=0,
 * {@code VERBOSE}/{@code HANGUP}/{@code NOOP} 200 result=1, anything else 510. A responder can replace any of them.
 */
public final class AgiCallClient {
    private static final int MAX_LINE = 64 * 1024;
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
     * @param timeout         for the whole session: connect, every read, and until the server closes
     * @throws SocketTimeoutException when the server neither answers nor closes within the timeout
     * @throws IOException            when the connection fails
     */
    public AgiCallResult call(String host, int port, String scriptWithQuery, Map<String, String> env, List<String> args,
                              Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        StringBuilder transcript = new StringBuilder(2048);
        List<Map.Entry<String, String>> set = new ArrayList<>();
        List<String> commands = new ArrayList<>();
        Map<String, String> channelVars = new HashMap<>();
        byte[] block = environmentBlock(host, port, scriptWithQuery, env, args, transcript);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(block);
            out.flush();
            ByteArrayOutputStream lineBuf = new ByteArrayOutputStream(256);
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw timeout(timeout, transcript);
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                String command;
                try {
                    command = readLine(in, lineBuf);
                } catch (SocketTimeoutException e) {
                    throw timeout(timeout, transcript);
                } catch (IOException e) {
                    // Connection reset after the server's last command: the session is over all the same.
                    break;
                }
                if (command == null) break;
                transcript.append("S> ").append(command).append('\n');
                commands.add(command);
                String reply = responder.apply(command);
                if (reply == null) reply = defaultReply(command, channelVars);
                recordSet(command, reply, set, channelVars);
                for (String l : reply.split("\n", -1)) transcript.append("A> ").append(l).append('\n');
                try {
                    out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    break; // server closed without reading the last reply; what it set still counts
                }
            }
        }
        return new AgiCallResult(set, commands, transcript.toString());
    }

    /** The environment block Asterisk 20 sends for {@code agi://host:port/scriptWithQuery}, bytes on the wire. */
    public static byte[] environmentBlock(String host, int port, String scriptWithQuery, Map<String, String> env,
                                          List<String> args) {
        return environmentBlock(host, port, scriptWithQuery, env, args, new StringBuilder());
    }

    private static byte[] environmentBlock(String host, int port, String scriptWithQuery, Map<String, String> env,
                                           List<String> args, StringBuilder transcript) {
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
        StringBuilder sb = new StringBuilder(1024);
        for (String k : AgiEnvironment.ASTERISK_20_KEYS) appendLine(sb, transcript, k, values.remove(k));
        for (Map.Entry<String, String> e : values.entrySet()) appendLine(sb, transcript, e.getKey(), e.getValue());
        for (int i = 0; i < args.size(); i++) appendLine(sb, transcript, "arg_" + (i + 1), args.get(i));
        sb.append('\n');
        transcript.append("A> \n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendLine(StringBuilder sb, StringBuilder transcript, String key, String value) {
        String v = value == null ? "" : value.replace('\n', ' ').replace('\r', ' ');
        sb.append("agi_").append(key).append(": ").append(v).append('\n');
        transcript.append("A> agi_").append(key).append(": ").append(v).append('\n');
    }

    private static String readLine(InputStream in, ByteArrayOutputStream buf) throws IOException {
        buf.reset();
        while (true) {
            int b = in.read();
            if (b < 0) return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
            if (b == '\n') return buf.toString(StandardCharsets.UTF_8);
            if (buf.size() >= MAX_LINE) {
                throw new IOException("server sent a line longer than " + MAX_LINE + " bytes");
            }
            buf.write(b);
        }
    }

    private static SocketTimeoutException timeout(Duration timeout, StringBuilder transcript) {
        return new SocketTimeoutException("FastAGI server did not finish the session within " + timeout.toMillis()
                + " ms; exchange so far:\n" + AgiText.printable(transcript, 4000).replace("\\x0a", "\n"));
    }

    /** Records a SET VARIABLE that Asterisk accepted (its reply starts with 200). */
    private static void recordSet(String command, String reply, List<Map.Entry<String, String>> set,
                                  Map<String, String> channelVars) {
        List<String> w = AgiCommands.parseWords(command);
        if (w.size() >= 4 && w.get(0).equalsIgnoreCase("SET") && w.get(1).equalsIgnoreCase("VARIABLE")) {
            String last = reply.substring(reply.lastIndexOf('\n') + 1);
            if (last.startsWith("200")) {
                set.add(new AbstractMap.SimpleImmutableEntry<>(w.get(2), w.get(3)));
                channelVars.put(w.get(2), w.get(3));
            }
        }
    }

    /** Asterisk 20's answer to a command on a live channel, for the commands a routing agent uses. */
    static String defaultReply(String command, Map<String, String> channelVars) {
        List<String> w = AgiCommands.parseWords(command);
        if (w.isEmpty()) return "510 Invalid or unknown command";
        String c0 = w.get(0).toUpperCase();
        String c1 = w.size() > 1 ? w.get(1).toUpperCase() : "";
        if (c0.equals("SET") && c1.equals("VARIABLE")) {
            if (w.size() != 4) {
                return "520-Invalid command syntax.  Proper usage follows:\nSets a variable to the current channel.\n"
                        + "520 End of proper usage.";
            }
            return "200 result=1";
        }
        if (c0.equals("GET") && c1.equals("VARIABLE") && w.size() == 3) {
            String v = channelVars.get(w.get(2));
            return v == null ? "200 result=0" : "200 result=1 (" + v + ")";
        }
        switch (c0) {
            case "ANSWER":
            case "EXEC":
                return "200 result=0";
            case "WAIT":
                return c1.equals("FOR") ? "200 result=0" : "510 Invalid or unknown command";
            case "VERBOSE":
            case "HANGUP":
            case "NOOP":
                return "200 result=1";
            case "CHANNEL":
                return c1.equals("STATUS") ? "200 result=6" : "510 Invalid or unknown command";
            default:
                return "510 Invalid or unknown command";
        }
    }
}
