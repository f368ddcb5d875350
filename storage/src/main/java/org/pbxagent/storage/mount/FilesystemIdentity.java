package org.pbxagent.storage.mount;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/** What a device holds, read from its superblock by {@code blkid -p} (a low-level probe that ignores the cache). */
public record FilesystemIdentity(String type, String label, String uuid) {

    public static FilesystemIdentity probe(CommandRunner runner, String device, Duration timeout)
            throws StorageException {
        CommandResult r = runner.run(BoundedCommand.of(timeout, "blkid", "-p", "-o", "export", device));
        if (r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == 2) {
            return new FilesystemIdentity(null, null, null);
        }
        if (!r.ok()) {
            throw StorageException.of("reading the superblock of " + device, r);
        }
        return parse(r.stdout());
    }

    static FilesystemIdentity parse(String export) {
        Map<String, String> kv = new HashMap<>();
        for (String line : export.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return new FilesystemIdentity(kv.get("TYPE"), kv.get("LABEL"), kv.get("UUID"));
    }

    /** Null when the identity is what the settings expect; otherwise why not. */
    public String mismatch(MountSettings s) {
        if (type == null) {
            return "no file system found on " + s.device() + " (expected " + s.fsType() + ")";
        }
        if (!type.equals(s.fsType())) {
            return s.device() + " holds " + type + ", expected " + s.fsType();
        }
        if (s.expectedLabel() != null && !s.expectedLabel().equals(label)) {
            return s.device() + " has label '" + label + "', expected '" + s.expectedLabel() + "'";
        }
        if (s.expectedUuid() != null
                && (uuid == null || !normalize(s.expectedUuid()).equals(normalize(uuid)))) {
            return s.device() + " has UUID " + uuid + ", expected " + s.expectedUuid();
        }
        return null;
    }

    private static String normalize(String uuid) {
        return uuid.replace("-", "").toLowerCase(java.util.Locale.ROOT);
    }
}
