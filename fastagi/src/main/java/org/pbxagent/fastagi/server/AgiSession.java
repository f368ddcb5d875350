package org.pbxagent.fastagi.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.protocol.AgiCommands;
import org.pbxagent.fastagi.protocol.AgiEnvironment;
import org.pbxagent.fastagi.protocol.AgiProtocolException;
import org.pbxagent.fastagi.protocol.AgiReply;
import org.pbxagent.fastagi.protocol.AgiReplyParser;
import org.pbxagent.fastagi.protocol.AgiText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FastAGI connection, driven by its selector thread: reads the environment block straight from the loop's read
 * buffer, runs the script, writes the commands and counts or dispatches the replies. All state is touched by that
 * one thread only.
 */
final class AgiSession implements AgiChannel {
    private static final Logger log = LoggerFactory.getLogger(AgiSession.class);
    private static final LogThrottle faultLog = new LogThrottle(1000);

    static final String ROUTE_ACTION = "ROUTE_ACTION";
    static final String ROUTE_REASON = "ROUTE_REASON";
    private static final byte[] ANSWER_OVERLOAD = answer("CONGESTION", "overload");
    private static final byte[] ANSWER_UNKNOWN_SCRIPT = answer("HANGUP", "unknown-script");
    private static final byte[] ANSWER_SCRIPT_ERROR = answer("CONGESTION", "script-error");
    private static final byte[] ANSWER_MALFORMED = answer("HANGUP", "malformed-request");
    private static final byte[] AGI_PREFIX = {'a', 'g', 'i', '_'};

    enum End { SERVED, ANSWERED, TIMEOUT, MALFORMED, PEER_CLOSED, CUT }

    private enum State { ENVIRONMENT, REPLIES, SCRIPT, CLOSED }

    private final AgiSelectorLoop loop;
    private final SocketChannel ch;
    private final boolean overload;
    private final int maxLineLength;
    SelectionKey key;
    long deadline;

    private State state = State.ENVIRONMENT;
    /** Only for a line split across reads; complete lines are parsed in the loop's read buffer. */
    private byte[] line;
    private int lineLen;
    private Map<String, String> env;
    private int envLines;
    private int expectedReplies;
    private boolean inUsage;
    private boolean countServed;
    private boolean hungUp;
    private ByteBuffer pending;
    private AgiRequest request;
    private AgiReplyParser parser;
    private ArrayDeque<PendingCommand> commands;
    private boolean finishing;

    private static final class PendingCommand {
        final AgiReplyHandler handler;
        final long timeoutNanos;

        PendingCommand(AgiReplyHandler handler, long timeoutNanos) {
            this.handler = handler;
            this.timeoutNanos = timeoutNanos;
        }
    }

    AgiSession(AgiSelectorLoop loop, SocketChannel ch, boolean overload, long now) {
        this.loop = loop;
        this.ch = ch;
        this.overload = overload;
        this.maxLineLength = loop.settings.maxLineLength();
        this.deadline = now + loop.environmentTimeoutNanos;
    }

    /** ROUTE_ACTION goes last, as in every routing answer: a session cut half-way leaves no action behind. */
    private static byte[] answer(String action, String reason) {
        return (AgiCommands.setVariable(ROUTE_REASON, reason) + AgiCommands.setVariable(ROUTE_ACTION, action))
                .getBytes(StandardCharsets.US_ASCII);
    }

    // ---- events from the selector loop ----

    void answerOverload() {
        // Sent before the environment block arrives: Asterisk writes the whole block, then reads commands in order.
        write(ANSWER_OVERLOAD, ANSWER_OVERLOAD.length);
    }

    void onReadable() {
        ByteBuffer buf = loop.readBuffer;
        buf.clear();
        int n;
        try {
            n = ch.read(buf);
        } catch (IOException e) {
            peerGone(e.toString());
            return;
        }
        if (n < 0) {
            peerGone("end of stream");
            return;
        }
        byte[] a = buf.array();
        int i = 0;
        while (i < n && state != State.CLOSED) {
            int nl = i;
            while (nl < n && a[nl] != '\n') nl++;
            int chunk = nl - i;
            if (lineLen + chunk > maxLineLength) {
                malformed("line longer than " + maxLineLength + " bytes (" + FastAgiServerSettings.KEY_MAX_LINE_LENGTH + ")");
                return;
            }
            if (nl == n) {
                keep(a, i, chunk); // the rest of this line comes with a later read
                break;
            }
            if (lineLen == 0) {
                int len = chunk;
                if (len > 0 && a[i + len - 1] == '\r') len--;
                onLine(a, i, len);
            } else {
                keep(a, i, chunk);
                int len = lineLen;
                if (len > 0 && line[len - 1] == '\r') len--;
                lineLen = 0;
                onLine(line, 0, len);
            }
            i = nl + 1;
        }
    }

    private void keep(byte[] a, int from, int count) {
        if (line == null) line = new byte[Math.min(maxLineLength, Math.max(256, count))];
        if (lineLen + count > line.length) {
            byte[] bigger = new byte[Math.min(maxLineLength, Math.max(line.length * 2, lineLen + count))];
            System.arraycopy(line, 0, bigger, 0, lineLen);
            line = bigger;
        }
        System.arraycopy(a, from, line, lineLen, count);
        lineLen += count;
    }

    void onWritable() {
        try {
            ch.write(pending);
        } catch (IOException e) {
            peerGone(e.toString());
            return;
        }
        if (!pending.hasRemaining()) {
            pending = null;
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    void onTimeout() {
        if (state == State.CLOSED) return;
        loop.server.timeouts.incrementAndGet();
        String what = state == State.ENVIRONMENT
                ? "no complete environment block within " + loop.settings.environmentTimeout().toMillis() + " ms"
                : "no reply within the reply timeout (" + waitingFor() + ")";
        faultLog.warn(log, "FastAGI session from {} timed out: {}", remote(), what);
        close(End.TIMEOUT, what);
    }

    // ---- lines ----

    private void onLine(byte[] l, int o, int len) {
        switch (state) {
            case ENVIRONMENT:
                environmentLine(l, o, len);
                break;
            case REPLIES:
                replyLine(l, o, len);
                break;
            case SCRIPT:
                scriptLine(l, o, len);
                break;
            default:
                break;
        }
    }

    private void environmentLine(byte[] l, int o, int len) {
        if (len == 0) {
            environmentDone();
            return;
        }
        if (++envLines > loop.settings.maxEnvironmentLines()) {
            malformed("more than " + loop.settings.maxEnvironmentLines() + " environment lines ("
                    + FastAgiServerSettings.KEY_MAX_ENVIRONMENT_LINES + ")");
            return;
        }
        boolean prefixed = len > 4;
        for (int i = 0; prefixed && i < 4; i++) prefixed = l[o + i] == AGI_PREFIX[i];
        int colon = -1;
        if (prefixed) {
            for (int i = 4; i < len; i++) {
                byte b = l[o + i];
                if (b == ':') {
                    colon = i;
                    break;
                }
                if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_')) break;
            }
        }
        if (colon <= 4) {
            malformed("not an environment line: '" + AgiText.printable(new String(l, o, Math.min(len, 80),
                    StandardCharsets.ISO_8859_1), 80) + "'");
            return;
        }
        if (overload) return; // the answer is already on its way; only the block's end matters
        int v = colon + 1;
        if (v < len && l[o + v] == ' ') v++;
        if (env == null) env = new LinkedHashMap<>(48);
        env.put(key(l, o + 4, colon - 4, envLines - 1),
                v == len ? "" : new String(l, o + v, len - v, StandardCharsets.UTF_8));
    }

    private static final String[] KNOWN_KEYS = AgiEnvironment.ASTERISK_20_KEYS.toArray(new String[0]);

    /**
     * The key as a String, taken from the known Asterisk keys when it is one (no allocation, hash already cached).
     * Asterisk sends them in a fixed order, so the key expected at this line number is tried first.
     */
    private static String key(byte[] l, int from, int len, int hint) {
        if (hint >= 0 && hint < KNOWN_KEYS.length && sameAscii(KNOWN_KEYS[hint], l, from, len)) return KNOWN_KEYS[hint];
        for (String k : KNOWN_KEYS) {
            if (sameAscii(k, l, from, len)) return k;
        }
        return new String(l, from, len, StandardCharsets.ISO_8859_1);
    }

    private static boolean sameAscii(String k, byte[] l, int from, int len) {
        if (k.length() != len) return false;
        for (int i = 0; i < len; i++) {
            if (k.charAt(i) != l[from + i]) return false;
        }
        return true;
    }

    private void environmentDone() {
        if (overload) {
            expectReplies(2, false);
            return;
        }
        if (env == null) {
            malformed("empty environment block");
            return;
        }
        try {
            request = AgiEnvironment.toRequest(env);
        } catch (AgiProtocolException e) {
            malformed(e.getMessage());
            return;
        }
        String name = request.script();
        DecisionScript ds = loop.server.decisionScript(name);
        if (ds != null) {
            RouteDecision decision;
            try {
                decision = ds.decide(request);
            } catch (RuntimeException | StackOverflowError e) {
                scriptError("script '" + name + "' threw", e);
                return;
            }
            if (decision == null) {
                scriptError("script '" + name + "' returned no decision", null);
                return;
            }
            sendDecision(name, decision);
            return;
        }
        AgiScript as = loop.server.agiScript(name);
        if (as != null) {
            state = State.SCRIPT;
            parser = new AgiReplyParser();
            commands = new ArrayDeque<>(4);
            countServed = true;
            deadline = System.nanoTime() + loop.replyTimeoutNanos;
            try {
                as.start(this);
            } catch (RuntimeException | StackOverflowError e) {
                scriptError("script '" + name + "' threw", e);
                return;
            }
            if (state == State.SCRIPT && finishing && commands.isEmpty()) close(End.SERVED, "finished");
            return;
        }
        loop.server.unknownScripts.incrementAndGet();
        faultLog.warn(log, "FastAGI session from {} asked for unknown script '{}': answering HANGUP/unknown-script",
                remote(), AgiText.printable(name, 80));
        if (write(ANSWER_UNKNOWN_SCRIPT, ANSWER_UNKNOWN_SCRIPT.length)) expectReplies(2, false);
    }

    private void sendDecision(String name, RouteDecision d) {
        int n = d.size();
        if (n == 0) {
            countServed = true;
            log.debug("FastAGI script '{}' set no variables", name);
            close(End.SERVED, "empty decision");
            return;
        }
        byte[] out = loop.writeArray;
        int p = 0;
        for (int i = 0; i < n; i++) {
            String var = d.name(i);
            if (!AgiCommands.isValidVariableName(var)) {
                scriptError("script '" + name + "' set a variable name res_agi cannot take: '"
                        + AgiText.printable(String.valueOf(var), 80) + "'", null);
                return;
            }
            int q = AgiCommands.putSetVariable(out, p, var, d.value(i));
            if (q < 0 || q - p > AgiCommands.MAX_COMMAND_BYTES + 1) {
                scriptError("script '" + name + "' set " + var + " to a value longer than an AGI command may be", null);
                return;
            }
            p = q;
        }
        if (write(out, p)) expectReplies(n, true);
    }

    private void expectReplies(int n, boolean served) {
        if (state == State.CLOSED) return;
        state = State.REPLIES;
        expectedReplies = n;
        countServed = served;
        deadline = System.nanoTime() + loop.replyTimeoutNanos;
    }

    private void replyLine(byte[] l, int o, int len) {
        if (isHangupLine(l, o, len)) {
            hungUp = true;
            return;
        }
        if (inUsage) {
            if (len >= 4 && l[o] == '5' && l[o + 1] == '2' && l[o + 2] == '0' && l[o + 3] == ' ') {
                inUsage = false;
                replyDone();
            }
            return;
        }
        if (len >= 4 && l[o] == '5' && l[o + 1] == '2' && l[o + 2] == '0' && l[o + 3] == '-') {
            inUsage = true;
            loop.server.errorReplies.incrementAndGet();
            return;
        }
        if (len >= 1 && l[o] == '5') {
            loop.server.errorReplies.incrementAndGet();
            if (log.isDebugEnabled()) {
                log.debug("FastAGI session from {} got error reply '{}'", remote(),
                        AgiText.printable(new String(l, o, len, StandardCharsets.UTF_8), 120));
            }
        }
        replyDone();
    }

    private static boolean isHangupLine(byte[] l, int o, int len) {
        return len == 6 && l[o] == 'H' && l[o + 1] == 'A' && l[o + 2] == 'N' && l[o + 3] == 'G' && l[o + 4] == 'U'
                && l[o + 5] == 'P';
    }

    private void replyDone() {
        if (--expectedReplies <= 0) close(countServed ? End.SERVED : End.ANSWERED, "all replies in");
    }

    private void scriptLine(byte[] l, int o, int len) {
        if (isHangupLine(l, o, len)) {
            hungUp = true;
            return;
        }
        String text = new String(l, o, len, StandardCharsets.UTF_8);
        AgiReply reply;
        try {
            reply = parser.accept(text);
        } catch (AgiProtocolException e) {
            malformed(e.getMessage());
            return;
        }
        if (reply == null) return;
        if (reply.status() >= 500) loop.server.errorReplies.incrementAndGet();
        PendingCommand c = commands.poll();
        if (c == null) {
            malformed("reply with no command waiting for it: '" + AgiText.printable(text, 80) + "'");
            return;
        }
        PendingCommand next = commands.peek();
        deadline = System.nanoTime() + (next != null ? next.timeoutNanos : loop.replyTimeoutNanos);
        try {
            c.handler.onReply(reply);
        } catch (RuntimeException | StackOverflowError e) {
            scriptError("script '" + request.script() + "' reply handler threw", e);
            return;
        }
        if (state == State.SCRIPT && finishing && commands.isEmpty()) close(End.SERVED, "finished");
    }

    // ---- AgiChannel, for multi-step scripts ----

    @Override
    public AgiRequest request() { return request; }

    @Override
    public void send(String command, AgiReplyHandler onReply) {
        send(command, loop.replyTimeoutNanos, onReply);
    }

    @Override
    public void send(String command, Duration replyTimeout, AgiReplyHandler onReply) {
        send(command, replyTimeout.toNanos(), onReply);
    }

    @Override
    public void setVariable(String name, String value, AgiReplyHandler onReply) {
        if (!AgiCommands.isValidVariableName(name)) {
            throw new IllegalArgumentException("not a variable name res_agi can take: " + AgiText.printable(name, 80));
        }
        String c = AgiCommands.setVariable(name, value);
        send(c.substring(0, c.length() - 1), loop.replyTimeoutNanos, onReply);
    }

    private void send(String command, long timeoutNanos, AgiReplyHandler onReply) {
        if (!loop.inLoopThread()) {
            throw new IllegalStateException("AgiChannel used outside its session thread");
        }
        if (command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("AGI command with a line end: " + AgiText.printable(command, 80));
        }
        if (state != State.SCRIPT) return; // session already ended (peer gone, timeout): nothing to send to
        if (finishing) throw new IllegalStateException("send after finish()");
        byte[] bytes = (command + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > AgiCommands.MAX_COMMAND_BYTES + 1) {
            throw new IllegalArgumentException("AGI command longer than " + AgiCommands.MAX_COMMAND_BYTES + " bytes");
        }
        if (commands.isEmpty()) deadline = System.nanoTime() + timeoutNanos;
        commands.add(new PendingCommand(onReply, timeoutNanos));
        write(bytes, bytes.length);
    }

    @Override
    public void finish() {
        if (!loop.inLoopThread()) throw new IllegalStateException("AgiChannel used outside its session thread");
        finishing = true;
        // The close itself happens when control returns to the session (after start or the reply handler).
    }

    @Override
    public boolean hungUp() { return hungUp; }

    // ---- faults and the end ----

    private void scriptError(String what, Throwable t) {
        loop.server.scriptErrors.incrementAndGet();
        if (t != null) {
            log.error("FastAGI {} for {}: answering CONGESTION/script-error", what, request, t);
        } else {
            log.error("FastAGI {} for {}: answering CONGESTION/script-error", what, request);
        }
        if (state == State.CLOSED) return;
        int outstanding = commands == null ? 0 : commands.size();
        if (write(ANSWER_SCRIPT_ERROR, ANSWER_SCRIPT_ERROR.length)) expectReplies(outstanding + 2, false);
    }

    private void malformed(String what) {
        if (state == State.CLOSED) return;
        loop.server.malformed.incrementAndGet();
        faultLog.warn(log, "FastAGI session from {} is not speaking AGI: {}", remote(), what);
        if (state == State.ENVIRONMENT && !overload) {
            // Best effort: a peer that is a confused Asterisk can still act on it.
            write(ANSWER_MALFORMED, ANSWER_MALFORMED.length);
        }
        close(End.MALFORMED, what);
    }

    private void peerGone(String why) {
        if (state == State.CLOSED) return;
        if (state == State.ENVIRONMENT && envLines == 0 && lineLen == 0) {
            log.debug("FastAGI connection from {} closed without a request", remote());
        } else {
            loop.server.peerClosedEarly.incrementAndGet();
            faultLog.warn(log, "FastAGI session from {} closed by the peer {} ({})", remote(),
                    state == State.ENVIRONMENT ? "inside the environment block" : "before every reply was in: " + waitingFor(),
                    why);
        }
        close(End.PEER_CLOSED, why);
    }

    private String waitingFor() {
        if (state == State.SCRIPT) return commands.size() + " commands waiting";
        return expectedReplies + " replies outstanding";
    }

    /** Returns false when the write failed and the session is closed. */
    private boolean write(byte[] a, int len) {
        if (state == State.CLOSED) return false;
        if (pending != null) {
            pending.compact();
            if (pending.remaining() < len) {
                ByteBuffer bigger = ByteBuffer.allocate(pending.position() + len + 1024);
                pending.flip();
                bigger.put(pending);
                pending = bigger;
            }
            pending.put(a, 0, len);
            pending.flip();
            return true;
        }
        ByteBuffer wb = a == loop.writeArray ? loop.writeBuffer : ByteBuffer.wrap(a);
        wb.clear();
        wb.limit(len);
        try {
            ch.write(wb);
        } catch (IOException e) {
            peerGone(e.toString());
            return false;
        }
        if (wb.hasRemaining()) {
            pending = ByteBuffer.allocate(Math.max(1024, wb.remaining()));
            pending.put(wb);
            pending.flip();
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
        return true;
    }

    void close(End end, String why) {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
        // Counters first: whoever sees the socket close must also see the session counted.
        if (end == End.SERVED && countServed) loop.server.served.incrementAndGet();
        if (overload) {
            loop.server.overloadInFlight.decrementAndGet();
        } else {
            loop.server.inFlight.decrementAndGet();
        }
        if (key != null) key.cancel();
        AgiSelectorLoop.closeQuietly(ch);
        if (log.isDebugEnabled()) log.debug("FastAGI session {} ended: {} ({})", request, end, why);
    }

    private String remote() {
        try {
            return ((InetSocketAddress) ch.getRemoteAddress()).getAddress().getHostAddress();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
