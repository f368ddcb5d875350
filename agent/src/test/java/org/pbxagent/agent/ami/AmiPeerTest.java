package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Proves the AMI peer is a faithful Asterisk 20 stand-in: a client that sends exactly what the recorded client sent
 * receives exactly the recorded bytes, except the Ping timestamp and the channel durations (clock values).
 */
class AmiPeerTest {
    private record Step(String marker, String sent, String received) {}

    @Test
    void replaysTheRecordedSessionsByteForByte() throws Exception {
        List<List<Step>> sessions = steps(AmiRecording.resource("/asterisk-20/ami-session.txt"));
        assertEquals(2, sessions.size(), "bad-login session and main session");
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
            int compared = 0;
            int total = sessions.stream()
                    .flatMap(List::stream)
                    .mapToInt(st -> st.received.length())
                    .sum();
            for (List<Step> session : sessions) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
                    s.setSoTimeout(5000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    for (Step step : session) {
                        if (step.marker.startsWith("(listening")) {
                            peer.emitRecordedCallsUp();
                        }
                        if (step.sent != null) {
                            out.write(step.sent.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                        String expected = step.received;
                        // Events that Asterisk emitted on its own after a reply: read the reply, then make the
                        // peer's calls hang up, then read the events (their order on the wire is the recorded one).
                        int firstEvent = step.sent == null ? -1 : expected.indexOf("\r\n\r\nEvent: Hangup");
                        if (firstEvent >= 0) {
                            String reply = expected.substring(0, firstEvent + 4);
                            assertSame(reply, read(in, reply.length()));
                            compared += reply.length();
                            Matcher m = Pattern.compile("Event: Hangup\r\n(?:.*\r\n)*?Uniqueid: (\\S+)\r\n")
                                    .matcher(expected);
                            while (m.find()) {
                                peer.emitRecordedHangup(m.group(1));
                            }
                            expected = expected.substring(firstEvent + 4);
                        }
                        assertSame(expected, read(in, expected.length()));
                        compared += expected.length();
                    }
                    String lastSent = session.get(session.size() - 1).sent;
                    if (lastSent != null && lastSent.startsWith("Action: Logoff")) {
                        assertEquals(-1, in.read(), "Asterisk closes after Logoff");
                    }
                }
            }
            assertEquals(total, compared, "every received byte of the recording was compared");
            assertTrue(total > 10_000, "the recording was parsed, " + total + " bytes");
        }
    }

    @Test
    void shutdownSendsTheRecordedEventAndCloses() throws Exception {
        String rec = AmiRecording.resource("/asterisk-20/ami-shutdown.txt");
        String expectedEvent = rec.substring(rec.indexOf("Event: Shutdown"), rec.indexOf("<<EOF"));
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                Socket s = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            s.getOutputStream()
                    .write("Action: Login\r\nUsername: agent\r\nSecret: agentsecret\r\nActionID: l\r\n\r\n"
                            .getBytes(StandardCharsets.UTF_8));
            String login = rec.substring(rec.indexOf("Asterisk Call Manager"), rec.indexOf("##### (CLI"))
                    .replace("##### >>> sent Login\n", "");
            String got = read(in, login.length());
            // The recorded FullyBooted came 94 s after start, the session one at 60 s: the peer sends the latter.
            assertEquals(login.replace("Uptime: 94", "Uptime: 60").replace("LastReload: 94", "LastReload: 60"), got);
            peer.shutdown();
            assertEquals(expectedEvent, read(in, expectedEvent.length()));
            assertEquals(-1, in.read(), "connection closed after Shutdown");
        }
    }

    @Test
    void sessionsEndAsManagerCEndsThemAndTheirLoggedInTimeIsCounted() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
            // A refused Login: answered after manager.c's one-second pause, then the connection closes.
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                readUntil(in, "\r\n"); // banner
                long t0 = System.nanoTime();
                s.getOutputStream()
                        .write(("Action: Login\r\nUsername: agent\r\nSecret: nope\r\nActionID: a\r\n\r\n")
                                .getBytes(StandardCharsets.UTF_8));
                String reply = readUntil(in, "\r\n\r\n");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals("Response: Error\r\nActionID: a\r\nMessage: Authentication failed\r\n\r\n", reply);
                assertTrue(ms >= 900, "answered after " + ms + " ms");
                assertEquals(-1, in.read(), "closed after the refusal");
            }
            assertEquals(0, peer.loggedInNanos(), "a refused session was never logged in");

            // Events: off gets no FullyBooted; a session is logged in from the Login to the Logoff.
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                readUntil(in, "\r\n");
                s.getOutputStream()
                        .write(("Action: Login\r\nUsername: agent\r\nSecret: agentsecret\r\n"
                                        + "Events: off\r\nActionID: b\r\n\r\nAction: Ping\r\nActionID: c\r\n\r\n")
                                .getBytes(StandardCharsets.UTF_8));
                String login = readUntil(in, "\r\n\r\n");
                assertTrue(login.startsWith("Response: Success\r\nActionID: b\r\n"), login);
                String next = readUntil(in, "\r\n\r\n");
                assertTrue(
                        next.startsWith("Response: Success\r\nActionID: c\r\nPing: Pong"), "no FullyBooted: " + next);
                Thread.sleep(200);
                assertTrue(peer.loggedInNanos() >= 150_000_000L, "counted while logged in: " + peer.loggedInNanos());
                s.getOutputStream().write("Action: Logoff\r\nActionID: d\r\n\r\n".getBytes(StandardCharsets.UTF_8));
                assertTrue(readUntil(in, "\r\n\r\n").startsWith("Response: Goodbye"));
                assertEquals(-1, in.read(), "closed after Logoff");
            }
            long total = peer.loggedInNanos();
            Thread.sleep(100);
            assertEquals(total, peer.loggedInNanos(), "nothing counted after the Logoff");
            assertEquals(total, peer.longestLoggedInNanos());
            assertEquals(1, peer.successfulLogins());
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= end.length() && b.lastIndexOf(end) == b.length() - end.length()) {
                break;
            }
        }
        return b.toString();
    }

    private static void assertSame(String expected, String actual) {
        assertEquals(mask(expected), mask(actual));
    }

    private static String mask(String s) {
        return s.replaceAll("Timestamp: \\d+\\.\\d{6}", "Timestamp: T")
                .replaceAll("Duration: \\d\\d:\\d\\d:\\d\\d", "Duration: D");
    }

    private static String read(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Splits a recording into sessions of (marker, what the client sent, what came back). */
    private static List<List<Step>> steps(String rec) {
        List<List<Step>> sessions = new ArrayList<>();
        List<Step> cur = null;
        String marker = "";
        StringBuilder sent = null;
        StringBuilder received = new StringBuilder();
        String mode = "";
        for (String line : rec.split("\n", -1)) {
            if (line.startsWith("##### session")) {
                if (cur != null && (received.length() > 0 || sent != null)) {
                    cur.add(new Step(marker, sent == null ? null : sent.toString(), received.toString()));
                }
                received.setLength(0);
                sent = null;
                marker = "";
                cur = new ArrayList<>();
                sessions.add(cur);
                mode = "banner";
                continue;
            }
            if (line.startsWith("##### >>> sent") || line.startsWith("##### (listening") || line.startsWith("<<EOF")) {
                if (received.length() > 0 || sent != null) {
                    cur.add(new Step(marker, sent == null ? null : sent.toString(), received.toString()));
                }
                received.setLength(0);
                sent = null;
                marker = line.substring(Math.min(line.length(), 6));
                if (line.startsWith("##### >>> sent")) {
                    sent = new StringBuilder();
                    mode = "sent";
                } else {
                    mode = "received";
                }
                continue;
            }
            if (line.startsWith("##### <<< received")) {
                mode = "received";
                continue;
            }
            if (mode.equals("sent")) {
                sent.append(line).append('\n');
            } else if (!line.isEmpty() || received.length() > 0) {
                received.append(line).append('\n');
            }
        }
        // Drop the trailing "\n" each block got from the split, keep "\r\n" line ends as recorded.
        for (List<Step> s : sessions) {
            s.replaceAll(st -> new Step(
                    st.marker,
                    st.sent == null ? null : trimOne(st.sent),
                    st.received.endsWith("\r\n\n") ? st.received.substring(0, st.received.length() - 1) : st.received));
        }
        return sessions;
    }

    private static String trimOne(String s) {
        // The recorded action ends with an empty line: "...\n\n" sent as "...\r\n\r\n".
        return s.endsWith("\n\n\n") ? s.substring(0, s.length() - 1) : s;
    }
}
