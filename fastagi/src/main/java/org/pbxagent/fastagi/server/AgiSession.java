package org.pbxagent.fastagi.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pbxagent.fastagi.AgiRequest;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.DeferredScript;
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
 * buffer, runs the script and talks lock-step: one command is written, its reply read, then the next command. res_agi
 * reads commands through a stdio buffer but waits on the socket between them, so a second command written before the
 * first reply sits unread until the server writes again or closes. All state is touched by that one thread only.
 */
final class AgiSession implements AgiChannel {
    private static final Logger log = LoggerFactory.getLogger(AgiSession.class);
    private static final LogThrottle faultLog = new LogThrottle(1000);

    private static final byte[] ANSWER_OVERLOAD = answer(RouteDecision.OVERLOAD);
    private static final byte[] ANSWER_UNKNOWN_SCRIPT = answer(RouteDecision.UNKNOWN_SCRIPT);
    private static final byte[] ANSWER_SCRIPT_ERROR = answer(RouteDecision.SCRIPT_ERROR);
    private static final byte[] ANSWER_MALFORMED = answer(RouteDecision.MALFORMED_REQUEST);
    private static final byte[] AGI_PREFIX = {'a', 'g', 'i', '_'};

    enum End {
        SERVED,
        ANSWERED,
        TIMEOUT,
        MALFORMED,
        PEER_CLOSED,
        CUT
    }

    private enum State {
        ENVIRONMENT,
        TALKING,
        CLOSED
    }

    private final AgiSelectorLoop loop;
    private final SessionCounters counters;
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
    private boolean inUsage;
    /** True when the session answers the script's request (counted as served); false for a fault answer. */
    private boolean countServed;

    private boolean hungUp;
    private ByteBuffer pending;
    private AgiRequest request;
    private AgiReplyParser parser;
    /** The one command written whose reply has not come yet; null when none. */
    private Command outstanding;
    /** Commands waiting for the outstanding one's reply; created only when a script queues more than one. */
    private ArrayDeque<Command> queued;
    /** Commands written in this session, i.e. round trips. */
    private int commandsSent;

    private boolean finishing;

    /** A command to write; bytes null means it was written straight from the loop's write buffer. */
    private static final class Command {
        final byte[] bytes;
        final long timeoutNanos;
        /** The script's handler for the reply; null for a decision or fault answer, or once the script failed. */
        AgiReplyHandler live;

        Command(byte[] bytes, AgiReplyHandler handler, long timeoutNanos) {
            this.bytes = bytes;
            this.timeoutNanos = timeoutNanos;
            this.live = handler;
        }
    }

    AgiSession(AgiSelectorLoop loop, SocketChannel ch, boolean overload, long now) {
        this.loop = loop;
        this.counters = loop.server.counters;
        this.ch = ch;
        this.overload = overload;
        this.maxLineLength = loop.settings.maxLineLength();
        this.deadline = now + loop.environmentTimeoutNanos;
    }

    /**
     * A fault answer as one {@code EXEC MSet} command (one round trip), encoded once: the session only copies it.
     */
    private static byte[] answer(RouteDecision d) {
        List<String> names = new ArrayList<>(d.size());
        List<String> values = new ArrayList<>(d.size());
        for (int i = 0; i < d.size(); i++) {
            names.add(d.name(i));
            values.add(d.value(i));
        }
        return AgiCommands.execMSet(names, values).getBytes(StandardCharsets.US_ASCII);
    }

    // ---- events from the selector loop ----

    void answerOverload() {
        // Sent before the environment block arrives: Asterisk writes the whole block, then reads this one command.
        countServed = false;
        finishing = true;
        sendNow(new Command(ANSWER_OVERLOAD, null, loop.replyTimeoutNanos), ANSWER_OVERLOAD, ANSWER_OVERLOAD.length);
        deadline = System.nanoTime() + loop.environmentTimeoutNanos;
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
        @SuppressWarnings("ByteBufferBackingArray") // the loop's buffer is ByteBuffer.allocate'd: offset 0
        byte[] a = buf.array();
        int i = 0;
        while (i < n && state != State.CLOSED) {
            int nl = i;
            while (nl < n && a[nl] != '\n') {
                nl++;
            }
            int chunk = nl - i;
            if (lineLen + chunk > maxLineLength) {
                malformed("line longer than " + maxLineLength + " bytes (" + FastAgiServerSettings.KEY_MAX_LINE_LENGTH
                        + ")");
                return;
            }
            if (nl == n) {
                keep(a, i, chunk); // the rest of this line comes with a later read
                break;
            }
            if (lineLen == 0) {
                int len = chunk;
                if (len > 0 && a[i + len - 1] == '\r') {
                    len--;
                }
                onLine(a, i, len);
            } else {
                keep(a, i, chunk);
                int len = lineLen;
                if (len > 0 && line[len - 1] == '\r') {
                    len--;
                }
                lineLen = 0;
                onLine(line, 0, len);
            }
            i = nl + 1;
        }
    }

    private void keep(byte[] a, int from, int count) {
        if (line == null) {
            line = new byte[Math.min(maxLineLength, Math.max(256, count))];
        }
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
        if (state == State.CLOSED) {
            return;
        }
        counters.count(SessionCounters.Outcome.TIMED_OUT);
        String what = state == State.ENVIRONMENT
                ? "no complete environment block within "
                        + loop.settings.environmentTimeout().toMillis() + " ms"
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
            case TALKING:
                replyLine(l, o, len);
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
        for (int i = 0; prefixed && i < 4; i++) {
            prefixed = l[o + i] == AGI_PREFIX[i];
        }
        int colon = -1;
        if (prefixed) {
            for (int i = 4; i < len; i++) {
                byte b = l[o + i];
                if (b == ':') {
                    colon = i;
                    break;
                }
                if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_')) {
                    break;
                }
            }
        }
        if (colon <= 4) {
            malformed("not an environment line: '"
                    + AgiText.printable(new String(l, o, Math.min(len, 80), StandardCharsets.ISO_8859_1), 80) + "'");
            return;
        }
        if (overload) {
            return;
        } // the answer is already on its way; only the block's end matters
        int v = colon + 1;
        if (v < len && l[o + v] == ' ') {
            v++;
        }
        if (env == null) {
            env = new LinkedHashMap<>(48);
        }
        env.put(
                key(l, o + 4, colon - 4, envLines - 1),
                v == len ? "" : new String(l, o + v, len - v, StandardCharsets.UTF_8));
    }

    private static final String[] KNOWN_KEYS = AgiEnvironment.ASTERISK_20_KEYS.toArray(new String[0]);

    /**
     * The key as a String, taken from the known Asterisk keys when it is one (no allocation, hash already cached).
     * Asterisk sends them in a fixed order, so the key expected at this line number is tried first.
     */
    private static String key(byte[] l, int from, int len, int hint) {
        if (hint >= 0 && hint < KNOWN_KEYS.length && sameAscii(KNOWN_KEYS[hint], l, from, len)) {
            return KNOWN_KEYS[hint];
        }
        for (String k : KNOWN_KEYS) {
            if (sameAscii(k, l, from, len)) {
                return k;
            }
        }
        return new String(l, from, len, StandardCharsets.ISO_8859_1);
    }

    private static boolean sameAscii(String k, byte[] l, int from, int len) {
        if (k.length() != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (k.charAt(i) != l[from + i]) {
                return false;
            }
        }
        return true;
    }

    private void environmentDone() {
        if (overload) {
            state = State.TALKING; // the answer is already written; its reply comes next
            deadline = System.nanoTime() + outstanding.timeoutNanos;
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
        state = State.TALKING;
        deadline = System.nanoTime() + loop.replyTimeoutNanos;
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
            parser = new AgiReplyParser();
            countServed = true;
            try {
                as.start(this);
            } catch (RuntimeException | StackOverflowError e) {
                scriptError("script '" + name + "' threw", e);
                return;
            }
            afterScriptStep();
            return;
        }
        DeferredScript deferred = loop.server.deferredScript(name);
        if (deferred != null) {
            startDeferred(name, deferred);
            return;
        }
        counters.count(SessionCounters.Outcome.UNKNOWN_SCRIPT);
        faultLog.warn(
                log,
                "FastAGI session from {} asked for unknown script '{}': answering HANGUP/unknown-script",
                remote(),
                AgiText.printable(name, 80));
        countServed = false;
        finishing = true;
        sendNow(
                new Command(ANSWER_UNKNOWN_SCRIPT, null, loop.replyTimeoutNanos),
                ANSWER_UNKNOWN_SCRIPT,
                ANSWER_UNKNOWN_SCRIPT.length);
    }

    /**
     * Starts a deferred script: nothing is written until its answer comes (the session waits, as for a multi-step
     * script, up to the reply timeout); the answer is taken once, on this session's thread, and sent as a decision.
     */
    private void startDeferred(String name, DeferredScript script) {
        countServed = true;
        AtomicBoolean answered = new AtomicBoolean();
        try {
            script.decide(request, decision -> {
                if (answered.compareAndSet(false, true)) {
                    loop.execute(() -> deferredAnswer(name, decision));
                }
            });
        } catch (RuntimeException | StackOverflowError e) {
            answered.set(true);
            scriptError("script '" + name + "' threw", e);
        }
    }

    private void deferredAnswer(String name, RouteDecision decision) {
        if (state != State.TALKING || outstanding != null || finishing) {
            return; // closed meanwhile (peer gone, reply timeout): nobody to answer
        }
        if (decision == null) {
            scriptError("script '" + name + "' returned no decision", null);
            return;
        }
        sendDecision(name, decision);
    }

    /**
     * The whole decision in as few commands as res_agi takes: one {@code EXEC MSet "n1=v1,...,ROUTE_ACTION=x"} line,
     * more only when it would not fit in one command line (each then ends a pair boundary, ROUTE_ACTION in the last),
     * and a {@code SET VARIABLE} of its own for a name MSet cannot take. Commands go out lock-step.
     */
    private void sendDecision(String name, RouteDecision d) {
        int n = d.size();
        countServed = true;
        finishing = true;
        if (n == 0) {
            log.debug("FastAGI script '{}' set no variables", name);
            close(End.SERVED, "empty decision");
            return;
        }
        byte[] out = loop.writeArray;
        int limit = AgiCommands.MAX_COMMAND_BYTES + 1;
        int[] ends = null;
        int commands = 0;
        int cmdStart = 0;
        int p = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            String var = d.name(i);
            String value = d.value(i);
            if (!AgiCommands.isValidVariableName(var)) {
                scriptError(
                        "script '" + name + "' set a variable name res_agi cannot take: '"
                                + AgiText.printable(String.valueOf(var), 80) + "'",
                        null);
                return;
            }
            // A char is at most 3 UTF-8 bytes: only long values need their bytes counted.
            if (value != null
                    && value.length() > AgiCommands.MAX_DIALPLAN_VALUE_BYTES / 3
                    && value.getBytes(StandardCharsets.UTF_8).length > AgiCommands.MAX_DIALPLAN_VALUE_BYTES) {
                scriptError(
                        "script '" + name + "' set " + var + " to a value longer than the dialplan can use ("
                                + AgiCommands.MAX_DIALPLAN_VALUE_BYTES + " bytes)",
                        null);
                return;
            }
            if (!AgiCommands.isPlainVariableName(var)) {
                // A function name such as CALLERID(num) would be split by MSet: a SET VARIABLE of its own.
                if (pairs > 0) {
                    p = AgiCommands.putExecMSetEnd(out, p);
                    ends = addEnd(ends, commands++, p);
                    pairs = 0;
                }
                cmdStart = p;
                int q = AgiCommands.putSetVariable(out, p, var, value);
                if (q < 0 || q - cmdStart > limit) {
                    scriptError(
                            "script '" + name + "' set " + var + " to a value longer than an AGI command may be", null);
                    return;
                }
                p = q;
                ends = addEnd(ends, commands++, p);
                cmdStart = p;
                continue;
            }
            int mark = p;
            int q;
            if (pairs == 0) {
                q = AgiCommands.putExecMSetStart(out, p);
            } else {
                q = p + 1 <= out.length ? p + 1 : -1;
                if (q > 0) {
                    out[p] = ',';
                }
            }
            if (q > 0) {
                q = AgiCommands.putMSetPair(out, q, var, value);
            }
            if (q < 0 || q + 2 - cmdStart > limit) {
                if (pairs == 0) {
                    scriptError(
                            "script '" + name + "' set " + var + " to a value longer than an AGI command may be", null);
                    return;
                }
                // Close this command before the pair and start the next one with it.
                p = AgiCommands.putExecMSetEnd(out, mark);
                ends = addEnd(ends, commands++, p);
                cmdStart = p;
                pairs = 0;
                i--;
                continue;
            }
            p = q;
            pairs++;
        }
        if (pairs > 0) {
            p = AgiCommands.putExecMSetEnd(out, p);
            if (p < 0) {
                scriptError("script '" + name + "' answer does not fit in the write buffer", null);
                return;
            }
            ends = addEnd(ends, commands++, p);
        }
        // The first command goes out from the loop's buffer; any further ones wait their turn in copies.
        int firstEnd = ends[0];
        for (int c = 1; c < commands; c++) {
            byte[] b = java.util.Arrays.copyOfRange(out, ends[c - 1], ends[c]);
            queue(new Command(b, null, loop.replyTimeoutNanos));
        }
        sendNow(new Command(null, null, loop.replyTimeoutNanos), out, firstEnd);
    }

    private static int[] addEnd(int[] ends, int count, int end) {
        if (ends == null) {
            ends = new int[4];
        }
        if (count == ends.length) {
            ends = java.util.Arrays.copyOf(ends, count * 2);
        }
        ends[count] = end;
        return ends;
    }

    private void queue(Command c) {
        if (queued == null) {
            queued = new ArrayDeque<>(4);
        }
        queued.add(c);
    }

    /** Writes a command now; the caller made sure none is outstanding. */
    private void sendNow(Command c, byte[] bytes, int len) {
        outstanding = c;
        commandsSent++;
        deadline = System.nanoTime() + c.timeoutNanos;
        write(bytes, len);
    }

    private void replyLine(byte[] l, int o, int len) {
        if (isHangupLine(l, o, len)) {
            hungUp = true;
            return;
        }
        Command c = outstanding;
        if (c == null) {
            malformed("reply with no command waiting for it: '"
                    + AgiText.printable(new String(l, o, len, StandardCharsets.UTF_8), 80) + "'");
            return;
        }
        AgiReply reply = null;
        if (c.live != null) {
            // A script waits for this reply: parse it whole.
            String text = new String(l, o, len, StandardCharsets.UTF_8);
            try {
                reply = parser.accept(text);
            } catch (AgiProtocolException e) {
                malformed(e.getMessage());
                return;
            }
            if (reply == null) {
                return;
            } // inside a 520 usage block
            if (reply.status() >= 500) {
                counters.errorReply();
            }
        } else {
            // A decision or fault answer: only where the reply ends and whether it is an error matters.
            if (inUsage) {
                if (!(len >= 4 && l[o] == '5' && l[o + 1] == '2' && l[o + 2] == '0' && l[o + 3] == ' ')) {
                    return;
                }
                inUsage = false;
            } else if (len >= 4 && l[o] == '5' && l[o + 1] == '2' && l[o + 2] == '0' && l[o + 3] == '-') {
                inUsage = true;
                counters.errorReply();
                return;
            } else if (len >= 1 && l[o] == '5') {
                counters.errorReply();
                if (log.isDebugEnabled()) {
                    log.debug(
                            "FastAGI session from {} got error reply '{}'",
                            remote(),
                            AgiText.printable(new String(l, o, len, StandardCharsets.UTF_8), 120));
                }
            }
        }
        outstanding = null;
        if (reply != null) {
            try {
                c.live.onReply(reply);
            } catch (RuntimeException | StackOverflowError e) {
                scriptError("script '" + request.script() + "' reply handler threw", e);
                return;
            }
        }
        afterScriptStep();
    }

    /** After the script ran (start or a reply): send the next command, end the session, or wait for the script. */
    private void afterScriptStep() {
        if (state != State.TALKING || outstanding != null) {
            return;
        }
        Command next = queued == null ? null : queued.poll();
        if (next != null) {
            sendNow(next, next.bytes, next.bytes.length);
            return;
        }
        if (finishing) {
            close(countServed ? End.SERVED : End.ANSWERED, "all replies in");
            return;
        }
        // The script sent nothing and did not finish: it has until the reply timeout to do either.
        deadline = System.nanoTime() + loop.replyTimeoutNanos;
    }

    private static boolean isHangupLine(byte[] l, int o, int len) {
        return len == 6
                && l[o] == 'H'
                && l[o + 1] == 'A'
                && l[o + 2] == 'N'
                && l[o + 3] == 'G'
                && l[o + 4] == 'U'
                && l[o + 5] == 'P';
    }

    // ---- AgiChannel, for multi-step scripts ----

    @Override
    public AgiRequest request() {
        return request;
    }

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
        if (state != State.TALKING) {
            return;
        } // session already ended (peer gone, timeout): nothing to send to
        if (finishing) {
            throw new IllegalStateException("send after finish()");
        }
        byte[] bytes = (command + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > AgiCommands.MAX_COMMAND_BYTES + 1) {
            throw new IllegalArgumentException("AGI command longer than " + AgiCommands.MAX_COMMAND_BYTES + " bytes");
        }
        Command c = new Command(bytes, onReply == null ? r -> {} : onReply, timeoutNanos);
        if (outstanding == null && (queued == null || queued.isEmpty())) {
            sendNow(c, bytes, bytes.length);
        } else {
            queue(c); // lock-step: written when the reply before it is in
        }
    }

    @Override
    public void finish() {
        if (!loop.inLoopThread()) {
            throw new IllegalStateException("AgiChannel used outside its session thread");
        }
        finishing = true;
        // The close itself happens when control returns to the session (after start or the reply handler).
    }

    @Override
    public boolean hungUp() {
        return hungUp;
    }

    // ---- faults and the end ----

    private void scriptError(String what, Throwable t) {
        counters.count(SessionCounters.Outcome.SCRIPT_ERROR);
        if (t != null) {
            log.error("FastAGI {} for {}: answering CONGESTION/script-error", what, request, t);
        } else {
            log.error("FastAGI {} for {}: answering CONGESTION/script-error", what, request);
        }
        if (state == State.CLOSED) {
            return;
        }
        // The script is done: what it queued is dropped, the reply to what it already sent is read and ignored,
        // then the error answer goes out as the next command.
        if (queued != null) {
            queued.clear();
        }
        if (outstanding != null) {
            outstanding.live = null;
        }
        countServed = false;
        finishing = true;
        Command answer = new Command(ANSWER_SCRIPT_ERROR, null, loop.replyTimeoutNanos);
        if (outstanding == null) {
            sendNow(answer, ANSWER_SCRIPT_ERROR, ANSWER_SCRIPT_ERROR.length);
        } else {
            queue(answer);
        }
    }

    private void malformed(String what) {
        if (state == State.CLOSED) {
            return;
        }
        counters.count(SessionCounters.Outcome.MALFORMED);
        faultLog.warn(log, "FastAGI session from {} is not speaking AGI: {}", remote(), what);
        if (state == State.ENVIRONMENT && !overload) {
            // Best effort: a peer that is a confused Asterisk can still act on it.
            write(ANSWER_MALFORMED, ANSWER_MALFORMED.length);
        }
        close(End.MALFORMED, what);
    }

    private void peerGone(String why) {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.ENVIRONMENT && envLines == 0 && lineLen == 0) {
            log.debug("FastAGI connection from {} closed without a request", remote());
        } else {
            counters.count(SessionCounters.Outcome.PEER_CLOSED_EARLY);
            faultLog.warn(
                    log,
                    "FastAGI session from {} closed by the peer {} ({})",
                    remote(),
                    state == State.ENVIRONMENT
                            ? "inside the environment block"
                            : "before every reply was in: " + waitingFor(),
                    why);
        }
        close(End.PEER_CLOSED, why);
    }

    private String waitingFor() {
        int q = queued == null ? 0 : queued.size();
        return (outstanding != null ? "reply to command " + commandsSent + " outstanding" : "no command outstanding")
                + (q > 0 ? ", " + q + " more queued" : "");
    }

    /** Returns false when the write failed and the session is closed. */
    private boolean write(byte[] a, int len) {
        if (state == State.CLOSED) {
            return false;
        }
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
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        // Counters first: whoever sees the socket close must also see the session counted.
        if (end == End.SERVED && countServed) {
            counters.count(SessionCounters.Outcome.SERVED);
        }
        if (commandsSent > 0) {
            counters.commandsSent(commandsSent);
        }
        if (overload) {
            loop.server.overloadInFlight.decrementAndGet();
        } else {
            loop.server.inFlight.decrementAndGet();
        }
        if (key != null) {
            key.cancel();
        }
        AgiSelectorLoop.closeQuietly(ch);
        if (log.isDebugEnabled()) {
            log.debug("FastAGI session {} ended: {} ({})", request, end, why);
        }
    }

    private String remote() {
        try {
            return ((InetSocketAddress) ch.getRemoteAddress()).getAddress().getHostAddress();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
