package org.pbxagent.fastagi.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.pbxagent.fastagi.protocol.AgiCommands;

/**
 * Asterisk's end of one FastAGI session, read the way Asterisk 20's res_agi reads it, for a non-blocking socket
 * driven by whoever polls it. What matters, from res_agi.c (20.20.1):
 * <ul>
 *   <li>Commands are read with {@code fgets} through a stdio buffer over the socket ({@code fdopen}); the buffer
 *       (4096 bytes, glibc's size for a socket) is refilled by one {@code read()} only when it is empty.</li>
 *   <li>Before each command res_agi polls the socket itself, not the buffer, with no timeout. So a command that
 *       arrived in the same read as the one before it waits until more bytes come or the server closes: call
 *       {@link #nextCommand} only when the socket is readable, once per readiness.</li>
 *   <li>A line is at most 8191 bytes (fgets into {@code char buf[8192]}); the rest runs as further commands. Only
 *       the {@code \n} is stripped.</li>
 *   <li>Each reply line goes out as its own write, Nagle left on (res_agi never sets TCP_NODELAY); a {@code 520}
 *       usage reply is three writes.</li>
 *   <li>At end of stream the commands still buffered run (their replies go nowhere), then the session ends.</li>
 * </ul>
 * Replies follow the recordings: {@code SET VARIABLE} {@code 200 result=1} (520 usage unless exactly 4 words),
 * {@code EXEC} passes only its first argument word to the application ({@code Set}, {@code MSet} with Asterisk's
 * argument splitting, {@code Verbose}, {@code NoOp}, {@code Log} answer {@code 200 result=0}, an unknown application
 * {@code 200 result=-2}), {@code GET VARIABLE} at most 1023 bytes, {@code GET FULL VARIABLE} with {@code ${NAME}}
 * substituted, {@code WAIT FOR DIGIT} {@code 200 result=0} after its wait, anything else {@code 510}.
 * Not thread-safe: one session, one thread at a time.
 */
public final class ResAgiPeer {
    /** glibc gives a stream over a socket a buffer of st_blksize bytes: 4096 on Linux. */
    public static final int STDIO_BUFFER_BYTES = 4096;
    /** res_agi's command buffer (AGI_BUF_LEN); fgets stores at most one byte less. */
    public static final int AGI_BUF_LEN = 8192;

    public static final String USAGE_START = "520-Invalid command syntax.  Proper usage follows:";
    public static final String USAGE_END = "520 End of proper usage.";

    /** Marker reply: the command is {@code WAIT FOR DIGIT}; the caller waits {@link #waitMillis} and then answers. */
    public static final List<String> WAIT = List.of("200 result=0");

    private final Function<String, String> responder;
    private final ByteBuffer stdio = ByteBuffer.allocate(STDIO_BUFFER_BYTES).flip();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean eof;
    private final Map<String, String> variables = new HashMap<>();
    private final List<Map.Entry<String, String>> set = new ArrayList<>();
    private final List<String> commands = new ArrayList<>();
    private final StringBuilder transcript;
    private long waitMillis;

    /**
     * @param responder  given each command line (no line end); returns the reply text (several lines separated by
     *                   {@code \n}, e.g. {@code "HANGUP\n200 result=1"}), or null for Asterisk's own answer
     * @param transcript where the exchange is written in the recordings' notation, or null
     */
    public ResAgiPeer(Function<String, String> responder, StringBuilder transcript) {
        this.responder = responder == null ? c -> null : responder;
        this.transcript = transcript;
    }

    /** What came of one readiness of the socket. */
    public enum Read {
        COMMAND,
        NEED_MORE,
        END
    }

    private String command;

    /**
     * One {@code fgets}, after the poll said the socket is readable: takes the next line from the stdio buffer,
     * reading the socket only when the buffer is empty, as often as the line needs. Returns {@link Read#COMMAND}
     * (the line is in {@link #command()}), {@link Read#NEED_MORE} (line incomplete and the socket empty: wait for
     * readiness again) or {@link Read#END} (end of stream, nothing buffered).
     */
    public Read nextCommand(SocketChannel ch) throws IOException {
        while (line.size() < AGI_BUF_LEN - 1) {
            if (!stdio.hasRemaining()) {
                if (eof) {
                    break;
                }
                stdio.clear();
                int n;
                try {
                    n = ch.read(stdio);
                } catch (IOException e) {
                    n = -1; // reset by the server: the same as its close for what is left to run
                }
                stdio.flip();
                if (n < 0) {
                    eof = true;
                    break;
                }
                if (n == 0) {
                    return Read.NEED_MORE;
                }
            }
            byte b = stdio.get();
            if (b == '\n') {
                command = line.toString(StandardCharsets.UTF_8);
                line.reset();
                return Read.COMMAND;
            }
            line.write(b);
        }
        if (line.size() == 0) {
            return Read.END;
        }
        // 8191 bytes without a line end, or what was left at end of stream: res_agi runs it as a command.
        command = line.toString(StandardCharsets.UTF_8);
        line.reset();
        return Read.COMMAND;
    }

    /** The command line {@link #nextCommand} returned, without its line end. */
    public String command() {
        return command;
    }

    /** True once the server closed (no more bytes will come; what is buffered still runs). */
    public boolean serverClosed() {
        return eof;
    }

    /**
     * Asterisk's reply to a command: the lines, each to be written on its own. {@link #WAIT} (the same instance)
     * means a {@code WAIT FOR DIGIT}: wait {@link #waitMillis()} (-1: forever), then write its line.
     */
    public List<String> reply(String cmd) {
        commands.add(cmd);
        if (transcript != null) {
            transcript.append("S> ").append(cmd).append('\n');
        }
        String custom = responder.apply(cmd);
        List<String> lines;
        if (custom != null) {
            lines = List.of(custom.split("\n", -1));
            record(cmd, lines.get(lines.size() - 1));
        } else {
            lines = defaultReply(cmd);
        }
        if (transcript != null) {
            for (String l : lines) {
                transcript.append("A> ").append(l).append('\n');
            }
        }
        return lines;
    }

    /** How long the last {@code WAIT FOR DIGIT} waits, in ms; -1 for ever. */
    public long waitMillis() {
        return waitMillis;
    }

    /** Every variable the server set, in order (a name set twice appears twice). */
    public List<Map.Entry<String, String>> variablesSet() {
        return set;
    }

    /** Commands the server sent, in order, without line ends. */
    public List<String> commands() {
        return commands;
    }

    private List<String> defaultReply(String cmd) {
        List<String> w = AgiCommands.parseWords(cmd);
        if (w.isEmpty()) {
            return List.of("510 Invalid or unknown command");
        }
        String c0 = w.get(0).toUpperCase(Locale.ROOT);
        String c1 = w.size() > 1 ? w.get(1).toUpperCase(Locale.ROOT) : "";
        switch (c0) {
            case "SET":
                if (c1.equals("VARIABLE")) {
                    if (w.size() != 4) {
                        return usage("Sets a variable to the current channel.");
                    }
                    assign(w.get(2), w.get(3));
                    return List.of("200 result=1");
                }
                break;
            case "GET":
                if (c1.equals("VARIABLE")) {
                    if (w.size() != 3) {
                        return usage("Gets a channel variable.");
                    }
                    String v = variables.get(w.get(2));
                    if (v == null) {
                        return List.of("200 result=0");
                    }
                    return List.of("200 result=1 (" + cutBytes(v, 1023) + ")");
                }
                if (c1.equals("FULL") && w.size() > 2 && w.get(2).equalsIgnoreCase("VARIABLE")) {
                    if (w.size() < 4 || w.size() > 5) {
                        return usage("Evaluates a channel expression");
                    }
                    return List.of("200 result=1 (" + substitute(w.get(3)) + ")");
                }
                break;
            case "EXEC":
                if (w.size() < 2) {
                    return usage("Executes a given Application");
                }
                return List.of("200 result=" + exec(w.get(1), w.size() > 2 ? w.get(2) : ""));
            case "WAIT":
                if (c1.equals("FOR") && w.size() == 4 && w.get(2).equalsIgnoreCase("DIGIT")) {
                    try {
                        waitMillis = Long.parseLong(w.get(3));
                    } catch (NumberFormatException e) {
                        return usage("Waits for a digit to be pressed.");
                    }
                    return WAIT;
                }
                break;
            case "ANSWER":
            case "NOOP":
                return List.of("200 result=0");
            case "VERBOSE":
            case "HANGUP":
                return List.of("200 result=1");
            case "CHANNEL":
                if (c1.equals("STATUS")) {
                    return List.of("200 result=6");
                }
                break;
            default:
                break;
        }
        return List.of("510 Invalid or unknown command");
    }

    /** Runs an application as {@code EXEC} does: it gets {@code data} as it is ({@code AGIEXECFULL} not set). */
    private int exec(String app, String data) {
        if ("true".equalsIgnoreCase(variables.get("AGIEXECFULL"))
                || "yes".equalsIgnoreCase(variables.get("AGIEXECFULL"))) {
            data = substitute(data);
        }
        switch (app.toLowerCase(Locale.ROOT)) {
            case "mset":
                for (Map.Entry<String, String> a : AgiCommands.msetAssignments(data)) {
                    assign(a.getKey(), a.getValue());
                }
                return 0;
            case "set": {
                int eq = data.indexOf('=');
                if (eq > 0) {
                    assign(data.substring(0, eq), data.substring(eq + 1));
                }
                return 0;
            }
            case "verbose":
            case "noop":
            case "log":
                return 0;
            default:
                return -2;
        }
    }

    private static List<String> usage(String text) {
        return List.of(USAGE_START, text, USAGE_END);
    }

    private void assign(String name, String value) {
        set.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        variables.put(name, value);
    }

    /** A SET VARIABLE answered by a responder counts when its reply says 200, as Asterisk then set it. */
    private void record(String cmd, String lastReplyLine) {
        if (!lastReplyLine.startsWith("200")) {
            return;
        }
        List<String> w = AgiCommands.parseWords(cmd);
        if (w.size() == 4 && w.get(0).equalsIgnoreCase("SET") && w.get(1).equalsIgnoreCase("VARIABLE")) {
            assign(w.get(2), w.get(3));
        } else if (w.size() >= 3
                && w.get(0).equalsIgnoreCase("EXEC")
                && w.get(1).equalsIgnoreCase("MSet")) {
            for (Map.Entry<String, String> a : AgiCommands.msetAssignments(w.get(2))) {
                assign(a.getKey(), a.getValue());
            }
        }
    }

    /** {@code ${NAME}} replaced by the channel variable (empty when unset); the rest as it is. */
    private String substitute(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int start = s.indexOf("${", i);
            if (start < 0) {
                break;
            }
            int end = s.indexOf('}', start + 2);
            if (end < 0) {
                break;
            }
            out.append(s, i, start);
            String v = variables.get(s.substring(start + 2, end));
            if (v != null) {
                out.append(v);
            }
            i = end + 1;
        }
        return out.append(s, Math.min(i, s.length()), s.length()).toString();
    }

    private static String cutBytes(String v, int max) {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        return b.length <= max ? v : new String(b, 0, max, StandardCharsets.UTF_8);
    }
}
