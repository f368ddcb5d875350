package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Framing of the AMI byte stream: partial reads, timeouts mid-message, garbage. */
class AmiFrameReaderTest {
    private final List<String> skipped = new ArrayList<>();

    /** Hands out the bytes in the given chunks, with a read timeout between chunks, as a socket with SO_TIMEOUT. */
    private static InputStream chunked(String... chunks) {
        return new InputStream() {
            int chunk;
            int pos;
            boolean timeoutDue;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (chunk == chunks.length) {
                    return -1;
                }
                if (timeoutDue) {
                    timeoutDue = false;
                    throw new SocketTimeoutException("Read timed out");
                }
                byte[] c = chunks[chunk].getBytes(StandardCharsets.ISO_8859_1);
                int n = Math.min(len, c.length - pos);
                System.arraycopy(c, pos, b, off, n);
                pos += n;
                if (pos == c.length) {
                    chunk++;
                    pos = 0;
                    timeoutDue = true;
                }
                return n;
            }
        };
    }

    private AmiFrameReader reader(InputStream in, int maxLine) {
        return new AmiFrameReader(in, maxLine, (what, sample) -> skipped.add(what));
    }

    @Test
    void messageSplitAcrossReadsAndTimeoutsIsReassembled() throws IOException {
        AmiFrameReader r = reader(
                chunked(
                        "Asterisk Call Manager/9.0.0\r",
                        "\nResponse: Succ",
                        "ess\r\nActionID: p1",
                        "\r\nPing: Pong\r\n",
                        "\r\n"),
                1024);
        String banner = null;
        AmiMessage m = null;
        int timeouts = 0;
        while (m == null) {
            try {
                if (banner == null) {
                    banner = r.readLine();
                } else {
                    m = r.next();
                }
            } catch (SocketTimeoutException e) {
                timeouts++;
            }
        }
        assertEquals("Asterisk Call Manager/9.0.0", banner);
        assertEquals("Success", m.kind());
        assertEquals("p1", m.get("actionid"));
        assertEquals("Pong", m.get("Ping"));
        assertEquals(4, timeouts, "every chunk boundary timed out once, nothing was lost");
    }

    @Test
    void repeatedKeysKeepTheirOrderAndEmptyValuesStay() throws IOException {
        AmiFrameReader r = reader(
                new ByteArrayInputStream(("Response: Success\r\nOutput: 3 active channels\r\n"
                                + "Output: 3 active calls\r\nAccountCode: \r\nBridgeId:\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII)),
                1024);
        AmiMessage m = r.next();
        assertEquals(List.of("3 active channels", "3 active calls"), m.getAll("Output"));
        assertEquals("", m.get("AccountCode"));
        assertEquals("", m.get("BridgeId"));
        assertEquals(new CallCounts(3, 3), CallCounts.parse(m.getAll("Output")));
        assertNull(r.next(), "end of stream");
    }

    @Test
    void garbageIsSkippedAndTheNextMessageParses() throws IOException {
        String longLine = "x".repeat(5000);
        AmiFrameReader r = reader(
                new ByteArrayInputStream(
                        ("\u0000\u00ffnoise\r\n" + longLine + "\r\n\r\n\r\n" + "Event: Hangup\nUniqueid: 1.2\n\n")
                                .getBytes(StandardCharsets.ISO_8859_1)),
                256);
        AmiMessage m = r.next();
        assertEquals("Hangup", m.kind(), "bare \\n line ends are accepted too");
        assertEquals("1.2", m.get("Uniqueid"));
        assertEquals(List.of("line without a key", "line longer than 256 bytes"), skipped);
    }

    @Test
    void callCountParsingRejectsOtherOutput() {
        assertNull(CallCounts.parse(List.of("No such command 'core show channels count' (type 'core show help')")));
        assertEquals(
                new CallCounts(1, 1),
                CallCounts.parse(List.of("1 active channel", "1 active call", "5 calls processed")));
        assertEquals(
                new CallCounts(200, 400),
                CallCounts.parse(List.of("400 active channels", "200 active calls", "9 calls processed")),
                "a ring-group call has two channels");
        assertNull(CallCounts.parse(List.of("many active calls")));
        assertNull(CallCounts.parse(List.of("-1 active calls")));
        assertNull(CallCounts.parse(List.of("12 calls processed")), "processed is not active");
    }

    @Test
    void settingsNameTheBadKeyAndMaskTheSecret() {
        assertEquals(
                "ami.port must be 1..65535, was 0",
                assertThrows(IllegalArgumentException.class, () -> AmiSettings.defaults("127.0.0.1", 0, "agent", "x"))
                        .getMessage());
        assertEquals(
                "ami.secret must not contain a line end",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> AmiSettings.defaults("127.0.0.1", 5038, "agent", "x\r\nAction: Originate"))
                        .getMessage());
        String shown =
                AmiSettings.defaults("127.0.0.1", 5038, "agent", "topsecret").toString();
        assertEquals(-1, shown.indexOf("topsecret"), shown);
    }
}
