package org.pbxagent.storage.iscsi;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.pbxagent.storage.StorageException;

/**
 * open-iscsi's node database: one record file per target, portal and iface
 * ({@code <db>/<target>/<address>,<port>,<tpgt>/<iface>}, or a plain file {@code <address>,<port>,<tpgt>} in older
 * layouts), {@code key = value} lines between {@code # BEGIN RECORD} and {@code # END RECORD}, read by iscsiadm at
 * login. The CHAP secret is written here directly, in a file of mode 0600 replaced atomically, because
 * {@code iscsiadm -o update -v SECRET} would put it on a command line that every local user can read in
 * /proc/PID/cmdline while iscsiadm runs.
 */
final class NodeRecords {

    static final String PASSWORD_KEY = "node.session.auth.password";
    /** Debian and Ubuntu keep the node database here, Red Hat and SUSE under /var/lib/iscsi. */
    static final List<Path> DEFAULT_DBS = List.of(Path.of("/etc/iscsi/nodes"), Path.of("/var/lib/iscsi/nodes"));

    private NodeRecords() {}

    /** The first default database that exists (the one iscsiadm of this distribution uses). */
    static Path defaultDb() {
        for (Path p : DEFAULT_DBS) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        return DEFAULT_DBS.get(0);
    }

    /** Every record file of {@code target} on {@code portal} ("host:port"), over all TPGs and ifaces. */
    static List<Path> records(Path db, String target, String portal) throws StorageException {
        int colon = portal.lastIndexOf(':');
        String host = portal.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String prefix = host + "," + portal.substring(colon + 1) + ",";
        Path dir = db.resolve(target);
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            throw new StorageException(
                    StorageException.Kind.NOT_CONFIGURED,
                    "no iSCSI node record of " + target + " on " + portal + " under " + db
                            + " (discovery should have created it)");
        }
        try (DirectoryStream<Path> entries =
                Files.newDirectoryStream(dir, e -> e.getFileName().toString().startsWith(prefix))) {
            for (Path e : entries) {
                if (Files.isRegularFile(e)) {
                    out.add(e);
                } else if (Files.isDirectory(e)) {
                    try (DirectoryStream<Path> ifaces = Files.newDirectoryStream(e, Files::isRegularFile)) {
                        ifaces.forEach(out::add);
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException(
                    StorageException.Kind.NOT_CONFIGURED,
                    "cannot read the iSCSI node records of " + target + " under " + dir + ": " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new StorageException(
                    StorageException.Kind.NOT_CONFIGURED,
                    "no iSCSI node record of " + target + " on " + portal + " under " + dir
                            + " (discovery should have created it)");
        }
        return out;
    }

    /** Sets the CHAP secret in every record of {@code target} on {@code portal}. The secret is never in a message. */
    static void setSecret(Path db, String target, String portal, String secret) throws StorageException {
        if (secret.indexOf('\n') >= 0 || secret.indexOf('\r') >= 0 || secret.indexOf('\0') >= 0) {
            throw new StorageException(
                    StorageException.Kind.NOT_CONFIGURED,
                    "the CHAP secret holds a line break or NUL, which a node record cannot carry");
        }
        for (Path record : records(db, target, portal)) {
            try {
                replace(record, withSecret(Files.readAllLines(record, StandardCharsets.UTF_8), secret));
            } catch (IOException e) {
                throw new StorageException(
                        StorageException.Kind.NOT_CONFIGURED,
                        "cannot write the CHAP secret into " + record + ": "
                                + e.getClass().getSimpleName());
            }
        }
    }

    /** The record's lines with exactly one password line, just before {@code # END RECORD}. */
    static List<String> withSecret(List<String> lines, String secret) {
        List<String> out = new ArrayList<>();
        String line = PASSWORD_KEY + " = " + secret;
        boolean placed = false;
        for (String l : lines) {
            String key = l.strip();
            int eq = key.indexOf('=');
            if (eq > 0 && key.substring(0, eq).strip().equals(PASSWORD_KEY)) {
                continue;
            }
            if (!placed && key.startsWith("# END RECORD")) {
                out.add(line);
                placed = true;
            }
            out.add(l);
        }
        if (!placed) {
            out.add(line);
        }
        return out;
    }

    /** Written beside the record with mode 0600 from its creation, synced, then renamed over it. */
    private static void replace(Path record, List<String> lines) throws IOException {
        Path tmp = Files.createTempFile(
                record.getParent(),
                ".pbx-agent-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            try {
                Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, record, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
