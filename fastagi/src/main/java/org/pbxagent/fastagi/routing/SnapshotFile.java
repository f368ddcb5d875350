package org.pbxagent.fastagi.routing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.pbxagent.fastagi.data.RoutingData;

/**
 * The last-known-good routing data on local disk, for a node that starts while the DB is down. Format: one header
 * line {@code PBXAGENT-ROUTING 1 <length> <sha256-hex>\n} followed by {@code length} bytes of JSON. Written to a temp
 * file in the same directory, fsynced, renamed atomically over the old file, and the directory fsynced, so a crash
 * leaves either the old or the new file, never a torn one. A file whose header, length or checksum does not match
 * is refused as a whole.
 */
public final class SnapshotFile {
    static final String MAGIC = "PBXAGENT-ROUTING";
    static final int FORMAT = 1;
    private static final int MAX_BYTES = 256 * 1024 * 1024;

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;

    public SnapshotFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    public void write(RoutingData data) throws IOException {
        byte[] body = JSON.writeValueAsBytes(data);
        byte[] header = (MAGIC + " " + FORMAT + " " + body.length + " " + sha256(body) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.allocate(header.length + body.length)
                        .put(header)
                        .put(body)
                        .flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + file + " atomically: " + e.getMessage(), e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // make the rename itself durable
            } catch (IOException ignored) {
                // some file systems do not allow opening a directory; the rename is still atomic
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** @throws RoutingSnapshotException when the file is missing, torn, corrupt or of another format */
    public RoutingData read() {
        byte[] all;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new RoutingSnapshotException("snapshot file " + file + " is larger than " + MAX_BYTES + " bytes");
            }
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RoutingSnapshotException("cannot read snapshot file " + file + ": " + e, e);
        }
        int nl = -1;
        for (int i = 0; i < Math.min(all.length, 200); i++) {
            if (all[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw corrupt("no header line");
        }
        String[] h = new String(all, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (h.length != 4 || !MAGIC.equals(h[0])) {
            throw corrupt("not a routing snapshot header");
        }
        if (!Integer.toString(FORMAT).equals(h[1])) {
            throw corrupt("format " + h[1] + " is not " + FORMAT);
        }
        long length;
        try {
            length = Long.parseLong(h[2]);
        } catch (NumberFormatException e) {
            throw corrupt("bad length");
        }
        if (length != all.length - nl - 1) {
            throw corrupt("length " + length + " but " + (all.length - nl - 1) + " bytes follow (torn write?)");
        }
        byte[] body = new byte[(int) length];
        System.arraycopy(all, nl + 1, body, 0, body.length);
        if (!sha256(body).equals(h[3])) {
            throw corrupt("checksum mismatch");
        }
        try {
            return JSON.readValue(body, RoutingData.class);
        } catch (IOException e) {
            throw corrupt("unreadable content: " + e.getMessage());
        }
    }

    private RoutingSnapshotException corrupt(String why) {
        return new RoutingSnapshotException("snapshot file " + file + " is corrupt (" + why + "); not loaded");
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
    }
}
