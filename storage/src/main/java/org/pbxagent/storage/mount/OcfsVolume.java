package org.pbxagent.storage.mount;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/** OCFS2 facts read from the device with ocfs2-tools: which nodes hold it mounted, and how many slots it has. */
public final class OcfsVolume {

    private final CommandRunner runner;
    private final Duration timeout;

    public OcfsVolume(CommandRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    /** Nodes that hold the volume mounted, from its heartbeat ({@code mounted.ocfs2 -f}). */
    public List<String> holders(String device) throws StorageException {
        CommandResult r = runner.run(BoundedCommand.of(timeout, "mounted.ocfs2", "-f", device));
        if (!r.ok()) {
            throw StorageException.of("mounted.ocfs2 -f " + device, r);
        }
        return parseHolders(r.stdout(), device);
    }

    /** Node slots of the volume ({@code tunefs.ocfs2 -Q %N}): at most this many nodes can mount it. */
    public int slots(String device) throws StorageException {
        CommandResult r = runner.run(BoundedCommand.of(timeout, "tunefs.ocfs2", "-Q", "%N\\n", device));
        if (!r.ok()) {
            throw StorageException.of("tunefs.ocfs2 -Q %N " + device, r);
        }
        try {
            return Integer.parseInt(r.stdout().strip().replace("\\n", ""));
        } catch (NumberFormatException e) {
            throw StorageException.failed(
                    "tunefs.ocfs2 printed no slot count: " + r.stdout().strip());
        }
    }

    /**
     * The "Nodes" column of {@code mounted.ocfs2 -f}: "Not mounted", "Unknown" or "node1, node2". The column
     * starts where the header's "Nodes" does; earlier columns may be blank (no cluster name for o2cb).
     */
    static List<String> parseHolders(String output, String device) throws StorageException {
        String[] lines = output.split("\n");
        int col = -1;
        for (String line : lines) {
            if (col < 0) {
                int i = line.indexOf("Nodes");
                if (line.startsWith("Device") && i > 0) {
                    col = i;
                }
                continue;
            }
            if (!line.startsWith(device + " ") || line.length() <= col) {
                continue;
            }
            String nodes = line.substring(col).strip();
            if (nodes.equals("Not mounted")) {
                return List.of();
            }
            if (nodes.equals("Unknown") || nodes.isEmpty()) {
                throw StorageException.failed("mounted.ocfs2 cannot tell who holds " + device + ": " + nodes);
            }
            List<String> names = new ArrayList<>();
            for (String n : nodes.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
            return names;
        }
        throw StorageException.failed("mounted.ocfs2 printed no line for " + device);
    }
}
