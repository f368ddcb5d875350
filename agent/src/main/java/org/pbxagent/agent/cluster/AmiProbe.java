package org.pbxagent.agent.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One bounded AMI exchange with the local Asterisk, for the resource agents. Unlike a long-lived manager connection
 * it never reconnects and never waits past its deadline: a hung Asterisk must turn into a failed monitor within the
 * monitor's timeout, never into a monitor that Pacemaker has to kill.
 */
public final class AmiProbe {

    /** What one probe saw. {@code calls} is -1 when not asked for. */
    public record Outcome(Verdict verdict, boolean fullyBooted, int calls, String detail) { }

    /** Maps one to one onto the OCF exit code the agent returns. */
    public enum Verdict {
        UP(0), NO_ANSWER(1), REFUSED(7), AUTH_FAILED(6);
        public final int ocfCode;
        Verdict(int ocfCode) { this.ocfCode = ocfCode; }
    }

    private static final String BANNER_PREFIX = "Asterisk Call Manager/";

    private final InetSocketAddress address;
    private final String user;
    private final String secret;

    public AmiProbe(InetSocketAddress address, String user, String secret) {
        this.address = address;
        this.user = user;
        this.secret = secret;
    }

    /**
     * Logs in and waits for FullyBooted, optionally counts calls and optionally asks for a core stop; all of it
     * before {@code deadlineNanos} (System.nanoTime()).
     */
    public Outcome probe(long deadlineNanos, boolean countCalls, String coreStop) {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(address, remainingMillis(deadlineNanos));
            MessageReader in = new MessageReader(socket, deadlineNanos);
            OutputStream out = socket.getOutputStream();
            String banner = in.line();
            if (banner == null || !banner.startsWith(BANNER_PREFIX)) {
                return new Outcome(Verdict.NO_ANSWER, false, -1, "no AMI banner (got " + printable(banner) + ")");
            }
            send(out, "Action: Login\r\nUsername: " + user + "\r\nSecret: " + secret + "\r\nActionID: probe-login\r\n\r\n");
            boolean booted = false;
            Map<String, String> login = null;
            while (login == null) {
                Map<String, String> m = in.message();
                if (m == null) {
                    return new Outcome(Verdict.NO_ANSWER, false, -1, "AMI closed during login");
                }
                if ("probe-login".equals(m.get("ActionID"))) {
                    login = m;
                } else if ("FullyBooted".equals(m.get("Event"))) {
                    booted = true;
                }
            }
            if (!"Success".equals(login.get("Response"))) {
                return new Outcome(Verdict.AUTH_FAILED, false, -1, "AMI login refused: " + login.getOrDefault("Message", "?"));
            }
            // Asterisk sends FullyBooted right after a successful login once it has booted; before that it
            // comes when the boot ends. A Ping answered in order proves the manager thread is alive either way.
            send(out, "Action: Ping\r\nActionID: probe-ping\r\n\r\n");
            Map<String, String> pong = null;
            while (pong == null || !booted) {
                Map<String, String> m = in.message();
                if (m == null) {
                    return new Outcome(Verdict.NO_ANSWER, booted, -1, "AMI closed before Pong/FullyBooted");
                }
                if ("probe-ping".equals(m.get("ActionID"))) {
                    pong = m;
                } else if ("FullyBooted".equals(m.get("Event"))) {
                    booted = true;
                }
            }
            int calls = -1;
            if (countCalls) {
                send(out, "Action: Command\r\nCommand: core show channels count\r\nActionID: probe-calls\r\n\r\n");
                Map<String, String> reply = in.reply("probe-calls");
                if (reply == null) {
                    return new Outcome(Verdict.NO_ANSWER, true, -1, "AMI closed before the call count");
                }
                calls = parseCalls(reply.get("Output"));
                if (calls < 0) {
                    return new Outcome(Verdict.NO_ANSWER, true, -1, "call count not understood");
                }
            }
            if (coreStop != null) {
                send(out, "Action: Command\r\nCommand: core stop " + coreStop + "\r\nActionID: probe-stop\r\n\r\n");
                // The reply may or may not come before the Shutdown event; the stop was asked for either way.
                in.reply("probe-stop");
            }
            send(out, "Action: Logoff\r\nActionID: probe-logoff\r\n\r\n");
            return new Outcome(Verdict.UP, true, calls, "AMI answered");
        } catch (ConnectException e) {
            return new Outcome(Verdict.REFUSED, false, -1, "nothing listens on AMI " + address);
        } catch (SocketTimeoutException e) {
            return new Outcome(Verdict.NO_ANSWER, false, -1, "AMI silent past the deadline");
        } catch (IOException e) {
            return new Outcome(Verdict.NO_ANSWER, false, -1, "AMI I/O: " + e.getMessage());
        }
    }

    /** Output lines of {@code core show channels count}, joined with '\n' by the reader. */
    static int parseCalls(String output) {
        if (output == null) {
            return -1;
        }
        for (String line : output.split("\n")) {
            String t = line.trim();
            int sp = t.indexOf(' ');
            if (sp > 0 && (t.endsWith(" active calls") || t.endsWith(" active call"))) {
                try {
                    return Integer.parseInt(t.substring(0, sp));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static void send(OutputStream out, String message) throws IOException {
        out.write(message.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    static int remainingMillis(long deadlineNanos) throws SocketTimeoutException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    private static String printable(String s) {
        if (s == null) {
            return "nothing";
        }
        String cut = s.length() > 60 ? s.substring(0, 60) : s;
        return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    /** Reads CRLF lines and blank-line-ended messages, re-arming the socket timeout to the remaining budget. */
    private static final class MessageReader {
        private static final int MAX_LINE = 8192;
        private final Socket socket;
        private final InputStream in;
        private final long deadlineNanos;
        private final byte[] buf = new byte[4096];
        private int pos;
        private int len;

        MessageReader(Socket socket, long deadlineNanos) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadlineNanos = deadlineNanos;
        }

        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos == len) {
                    socket.setSoTimeout(remainingMillis(deadlineNanos));
                    len = in.read(buf);
                    pos = 0;
                    if (len < 0) {
                        len = 0;
                        return sb.length() == 0 ? null : sb.toString();
                    }
                }
                byte b = buf[pos++];
                if (b == '\n') {
                    int n = sb.length();
                    if (n > 0 && sb.charAt(n - 1) == '\r') {
                        sb.setLength(n - 1);
                    }
                    return sb.toString();
                }
                if (sb.length() >= MAX_LINE) {
                    throw new IOException("AMI line longer than " + MAX_LINE + " bytes");
                }
                sb.append((char) (b & 0xff));
            }
        }

        /** Next message as header map (repeated headers joined with '\n'); null when the peer closed. */
        Map<String, String> message() throws IOException {
            Map<String, String> m = new LinkedHashMap<>();
            while (true) {
                String l = line();
                if (l == null) {
                    return m.isEmpty() ? null : m;
                }
                if (l.isEmpty()) {
                    if (m.isEmpty()) {
                        continue;
                    }
                    return m;
                }
                int colon = l.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String key = l.substring(0, colon);
                String value = l.substring(colon + 1).trim();
                m.merge(key, value, (a, b) -> a + "\n" + b);
            }
        }

        Map<String, String> reply(String actionId) throws IOException {
            while (true) {
                Map<String, String> m = message();
                if (m == null || actionId.equals(m.get("ActionID")) && m.containsKey("Response")) {
                    return m;
                }
            }
        }
    }
}
