package org.pbxagent.agent.ami;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.pbxagent.fastagi.protocol.AgiText;

/**
 * One connection to Asterisk's manager, made at each connect and dropped with its socket: the AMI codec of every
 * client in the agent (the watch and the resource agents' probe). It checks the banner, builds the Login, sends one
 * action at a time and reads up to its answer, and bounds every step: connect and banner by the connect timeout,
 * each answer by the timeout its caller gives. Every failure is an {@link AmiException} whose kind says what it
 * means for Asterisk (down, hung, stopping, refused us) and whose message is the reason to report.
 *
 * <p>Events met while waiting for an answer are counted; {@code FullyBooted} is remembered (manager.c writes it
 * right after the Login answer when Asterisk has booted) and {@code Shutdown} ends the connection. An error answer
 * {@code Asterisk is shutting down} to any action, Login included, is {@link AmiException.Kind#SHUTTING_DOWN}:
 * manager.c gives it from the first moment of a {@code core stop} (asterisk-20/REAL-BEHAVIOUR.md).
 */
public final class AmiConnection implements AutoCloseable {
    public static final String BANNER_PREFIX = "Asterisk Call Manager/";
    /** manager.c's answer to every action while Asterisk is stopping. */
    public static final String SHUTTING_DOWN = "Asterisk is shutting down";

    /** Why an exchange failed; the message is the reason a caller reports. */
    public static final class AmiException extends IOException {
        private static final long serialVersionUID = 1L;

        public enum Kind {
            /** Nothing listens: Asterisk is down. */
            REFUSED,
            /** Connected, but no banner or no answer within the bound: Asterisk is hung. */
            NO_ANSWER,
            /** Asterisk closed the connection, or announced its end with {@code Event: Shutdown}. */
            CLOSED,
            /** Asterisk is stopping: every action is refused. */
            SHUTTING_DOWN,
            /** The Login was refused: configuration. */
            AUTH_FAILED,
            /** An answer we cannot use (wrong banner, an action refused, output not understood). */
            GARBLED
        }

        private final Kind kind;

        public AmiException(Kind kind, String reason) {
            super(reason, null);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    private final Socket socket;
    private final DeadlineInput input;
    private final AmiFrameReader reader;
    private final OutputStream out;
    private long actionSeq;
    private boolean fullyBooted;
    private long eventsReceived;

    private AmiConnection(Socket socket, int maxLineLength, AmiFrameReader.SkipSink skips) throws IOException {
        this.socket = socket;
        this.input = new DeadlineInput(socket);
        this.reader = new AmiFrameReader(input, maxLineLength, skips);
        this.out = socket.getOutputStream();
    }

    /** Connects and reads the banner, both within {@code connectTimeoutMs}. */
    public static AmiConnection open(
            String host, int port, int connectTimeoutMs, int maxLineLength, AmiFrameReader.SkipSink skips)
            throws AmiException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), connectTimeoutMs);
        } catch (ConnectException e) {
            closeQuietly(s);
            throw new AmiException(
                    AmiException.Kind.REFUSED, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw new AmiException(AmiException.Kind.NO_ANSWER, "timeout connecting to " + host + ":" + port);
        } catch (IOException e) {
            closeQuietly(s);
            throw new AmiException(
                    AmiException.Kind.REFUSED, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
        }
        AmiConnection c = null;
        try {
            c = new AmiConnection(s, maxLineLength, skips);
            c.input.deadline = System.nanoTime() + millis(connectTimeoutMs);
            String banner = c.reader.readLine();
            if (banner == null) {
                throw new AmiException(AmiException.Kind.CLOSED, "connection closed before the AMI banner");
            }
            if (!banner.startsWith(BANNER_PREFIX)) {
                throw new AmiException(
                        AmiException.Kind.GARBLED, "unexpected banner: " + AgiText.printable(banner, 80));
            }
            return c;
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw new AmiException(AmiException.Kind.NO_ANSWER, "no AMI banner within " + connectTimeoutMs + " ms");
        } catch (AmiException e) {
            closeQuietly(s);
            throw e;
        } catch (IOException e) {
            closeQuietly(s);
            throw new AmiException(AmiException.Kind.CLOSED, "connection lost: " + e.getMessage());
        }
    }

    /**
     * Logs in. {@code events} is the Login's {@code Events} header: the event classes this session receives
     * ({@code system} gives FullyBooted and Shutdown). A refused Login is {@link AmiException.Kind#AUTH_FAILED}
     * (manager.c waits a second, answers and closes).
     */
    public void login(String username, String secret, String events, int timeoutMs) throws AmiException {
        AmiMessage r = request("Login", timeoutMs, "Username", username, "Secret", secret, "Events", events);
        if (!isSuccess(r)) {
            throw new AmiException(AmiException.Kind.AUTH_FAILED, "authentication failed");
        }
    }

    /** A Ping answered in order: the manager thread is alive. */
    public void ping(int timeoutMs) throws AmiException {
        AmiMessage r = request("Ping", timeoutMs);
        if (!isSuccess(r)) {
            throw new AmiException(AmiException.Kind.GARBLED, "Ping refused: " + r.get("Message"));
        }
    }

    /** The {@code Output} lines of a CLI command; an error answer is {@link AmiException.Kind#GARBLED}. */
    public List<String> command(String cli, int timeoutMs) throws AmiException {
        AmiMessage r = request("Command", timeoutMs, "Command", cli);
        if (!isSuccess(r)) {
            throw new AmiException(
                    AmiException.Kind.GARBLED,
                    "Command '" + cli + "' refused: " + r.get("Message") + " (the manager user needs write = command)");
        }
        return r.getAll("Output");
    }

    /** Asterisk's own counts from {@code core show channels count}. */
    public CallCounts callCounts(int timeoutMs) throws AmiException {
        List<String> output = command(CallCounts.COMMAND, timeoutMs);
        CallCounts c = CallCounts.parse(output);
        if (c == null) {
            throw new AmiException(
                    AmiException.Kind.GARBLED,
                    "'" + CallCounts.COMMAND + "' gave no call count: "
                            + AgiText.printable(String.join(" | ", output), 80));
        }
        return c;
    }

    /** Reads until {@code FullyBooted} has been seen on this connection or the time is up. */
    public void awaitFullyBooted(int timeoutMs) throws AmiException {
        input.deadline = System.nanoTime() + millis(timeoutMs);
        while (!fullyBooted) {
            AmiMessage m = nextMessage("no FullyBooted within " + timeoutMs + " ms");
            if (m.isEvent()) {
                onEvent(m);
            }
        }
    }

    /**
     * Logs off and waits (bounded) for manager.c's Goodbye or its close. Never fails: the session's work is done,
     * and a close ends the session on Asterisk's side as well.
     */
    public void logoff(int timeoutMs) {
        try {
            request("Logoff", timeoutMs);
        } catch (AmiException e) {
            // closed, silent or stopping: the close below ends the session either way
        }
    }

    /** Whether {@code FullyBooted} came on this connection so far. */
    public boolean fullyBooted() {
        return fullyBooted;
    }

    public long eventsReceived() {
        return eventsReceived;
    }

    /** Closes the socket; safe from another thread, which makes a blocked read end at once. */
    @Override
    public void close() {
        closeQuietly(socket);
    }

    /** Sends one action and reads up to its answer; events on the way are handled. */
    private AmiMessage request(String action, int timeoutMs, String... headers) throws AmiException {
        String id = "pbxagent-" + action.toLowerCase(java.util.Locale.ROOT) + "-" + (++actionSeq);
        StringBuilder b =
                new StringBuilder(96).append("Action: ").append(action).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            String v = headers[i + 1];
            if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                // A line end would start a new header or action: never sent, whatever the caller passed.
                throw new IllegalArgumentException(headers[i] + " must not contain a line end");
            }
            b.append(headers[i]).append(": ").append(v).append("\r\n");
        }
        b.append("ActionID: ").append(id).append("\r\n\r\n");
        try {
            out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new AmiException(AmiException.Kind.CLOSED, "connection lost: " + e.getMessage());
        }
        input.deadline = System.nanoTime() + millis(timeoutMs);
        while (true) {
            AmiMessage m = nextMessage("no reply to " + action + " within " + timeoutMs + " ms");
            if (m.isEvent()) {
                onEvent(m);
                continue;
            }
            if (!m.isResponse() || !id.equals(m.get("ActionID"))) {
                continue; // an answer to nobody: skipped, the bound still holds
            }
            if (!isSuccess(m) && SHUTTING_DOWN.equalsIgnoreCase(String.valueOf(m.get("Message")))) {
                throw new AmiException(AmiException.Kind.SHUTTING_DOWN, SHUTTING_DOWN);
            }
            return m;
        }
    }

    private AmiMessage nextMessage(String reasonIfSilent) throws AmiException {
        try {
            AmiMessage m = reader.next();
            if (m == null) {
                throw new AmiException(AmiException.Kind.CLOSED, "connection closed by Asterisk");
            }
            return m;
        } catch (SocketTimeoutException e) {
            throw new AmiException(AmiException.Kind.NO_ANSWER, reasonIfSilent);
        } catch (AmiException e) {
            throw e;
        } catch (IOException e) {
            throw new AmiException(AmiException.Kind.CLOSED, "connection lost: " + e.getMessage());
        }
    }

    private void onEvent(AmiMessage m) throws AmiException {
        eventsReceived++;
        switch (m.kind()) {
            case "FullyBooted" -> fullyBooted = true;
            case "Shutdown" ->
                throw new AmiException(
                        AmiException.Kind.CLOSED,
                        "Asterisk shut down (Shutdown: " + m.get("Shutdown") + ", Restart: " + m.get("Restart") + ")");
            default -> {
                // other events carry nothing a short session needs
            }
        }
    }

    private static boolean isSuccess(AmiMessage m) {
        // Logoff is answered "Goodbye"; every other action "Success" or "Error".
        return "Success".equalsIgnoreCase(m.kind()) || "Goodbye".equalsIgnoreCase(m.kind());
    }

    private static long millis(long ms) {
        return ms * 1_000_000L;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a broken socket: nothing left to do
        }
    }

    /** The socket's stream with every read bounded by the current deadline (SO_TIMEOUT set to what is left). */
    private static final class DeadlineInput extends InputStream {
        private final Socket socket;
        private final InputStream in;
        volatile long deadline;

        DeadlineInput(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            return in.read(b, off, len);
        }
    }
}
