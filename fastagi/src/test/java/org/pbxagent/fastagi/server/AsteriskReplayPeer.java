package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Plays a recorded Asterisk session against a FastAGI server: sends the recorded environment block, then for every
 * recorded command checks that the server sends exactly those bytes and answers with exactly the recorded reply
 * bytes; finally checks that the server closes the connection.
 */
public final class AsteriskReplayPeer {
    private AsteriskReplayPeer() {}

    public static void replay(int port, RecordedAgiSessions.Session session) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(session.environmentBlock());
            out.flush();
            for (RecordedAgiSessions.Step step : session.afterEnvironment()) {
                if (step.fromAsterisk()) {
                    out.write(step.text().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } else {
                    assertEquals(step.text(), readLine(in), "command the server sent");
                }
            }
            assertEquals(-1, in.read(), "server closes the session after the last reply");
        }
    }

    /** One line with its {@code \n}, or what came before end of stream. */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (c == '\n') {
                break;
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
