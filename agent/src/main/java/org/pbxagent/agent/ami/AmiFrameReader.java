package org.pbxagent.agent.ami;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the AMI byte stream into lines and messages. Incremental: a {@link SocketTimeoutException} from the socket
 * leaves every partial line and message in fields, so the caller can use a short read timeout as its clock tick.
 * Garbage never stops the stream: lines longer than the limit are discarded up to their end, lines without
 * {@code ": "} are skipped, messages with too many lines are dropped, each counted for the caller to log.
 */
public final class AmiFrameReader {
    /** Why a line or message was skipped; the caller logs these rate-limited. */
    public interface SkipSink {
        void skipped(String what, String sample);
    }

    private static final int MAX_LINES_PER_MESSAGE = 512;

    private final InputStream in;
    private final int maxLineLength;
    private final SkipSink skips;
    private final byte[] buf = new byte[16 * 1024];
    private int pos;
    private int limit;
    private final byte[] line;
    private int lineLen;
    private boolean discardingLine;
    private final List<String> keys = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private boolean tooManyLines;
    private boolean eof;

    AmiFrameReader(InputStream in, int maxLineLength, SkipSink skips) {
        this.in = in;
        this.maxLineLength = maxLineLength;
        this.line = new byte[maxLineLength];
        this.skips = skips;
    }

    /**
     * Reads the next line without its line end ({@code \r\n} or a bare {@code \n}), or null at end of stream.
     * Overlong lines are discarded and reported, never returned.
     */
    String readLine() throws IOException {
        while (true) {
            if (pos == limit) {
                if (eof) {
                    return null;
                }
                int n = in.read(buf, 0, buf.length); // may throw SocketTimeoutException: state stays consistent
                if (n < 0) {
                    eof = true;
                    return null;
                }
                pos = 0;
                limit = n;
            }
            while (pos < limit) {
                byte b = buf[pos++];
                if (b == '\n') {
                    if (discardingLine) {
                        discardingLine = false;
                        lineLen = 0;
                        continue;
                    }
                    int len = lineLen;
                    if (len > 0 && line[len - 1] == '\r') {
                        len--;
                    }
                    lineLen = 0;
                    return new String(line, 0, len, StandardCharsets.UTF_8);
                }
                if (discardingLine) {
                    continue;
                }
                if (lineLen == maxLineLength) {
                    skips.skipped(
                            "line longer than " + maxLineLength + " bytes",
                            new String(line, 0, Math.min(40, lineLen), StandardCharsets.UTF_8));
                    discardingLine = true;
                    lineLen = 0;
                    continue;
                }
                line[lineLen++] = b;
            }
        }
    }

    /** The next complete message, or null at end of stream. */
    AmiMessage next() throws IOException {
        while (true) {
            String l = readLine();
            if (l == null) {
                return null;
            }
            if (l.isEmpty()) {
                if (keys.isEmpty()) {
                    continue; // stray empty line between messages
                }
                if (tooManyLines) {
                    skips.skipped("message with more than " + MAX_LINES_PER_MESSAGE + " lines", keys.get(0));
                    reset();
                    continue;
                }
                AmiMessage m = new AmiMessage(keys, values);
                reset();
                return m;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                skips.skipped("line without a key", l.length() > 40 ? l.substring(0, 40) : l);
                continue;
            }
            if (keys.size() == MAX_LINES_PER_MESSAGE) {
                tooManyLines = true;
                continue;
            }
            int v = colon + 1;
            if (v < l.length() && l.charAt(v) == ' ') {
                v++;
            }
            keys.add(l.substring(0, colon));
            values.add(l.substring(v));
        }
    }

    private void reset() {
        keys.clear();
        values.clear();
        tooManyLines = false;
    }
}
