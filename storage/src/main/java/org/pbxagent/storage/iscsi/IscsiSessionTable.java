package org.pbxagent.storage.iscsi;

import java.util.ArrayList;
import java.util.List;

/**
 * Parser of {@code iscsiadm -m session -P 1|-P 3}: "Target:" lines, tab-indented "Current Portal:", then per session
 * "SID:", "iSCSI Connection State:", "iSCSI Session State:", the interface's "Iface Initiatorname:" and, at -P 3,
 * "Attached scsi disk sdX" lines.
 */
public final class IscsiSessionTable {

    private IscsiSessionTable() {}

    public static List<IscsiSession> parse(String output) {
        List<IscsiSession> sessions = new ArrayList<>();
        String target = null;
        String portal = null;
        Builder b = null;
        for (String raw : output.split("\n")) {
            String line = raw.strip();
            if (raw.startsWith("Target: ")) {
                b = flush(sessions, b);
                target = line.substring("Target: ".length()).strip();
                int paren = target.indexOf(" (");
                if (paren > 0) {
                    target = target.substring(0, paren); // "(non-flash)" in newer versions
                }
                portal = null;
            } else if (line.startsWith("Current Portal: ")) {
                b = flush(sessions, b);
                portal = line.substring("Current Portal: ".length()).strip();
            } else if (line.startsWith("Iface Initiatorname: ")) {
                // printed before SID: belongs to the session that follows
                b = flush(sessions, b);
                b = new Builder(target, portal);
                b.initiator = line.substring("Iface Initiatorname: ".length()).strip();
            } else if (line.startsWith("SID: ")) {
                if (b == null || b.sid >= 0) {
                    b = flush(sessions, b);
                    b = new Builder(target, portal);
                }
                try {
                    b.sid = Integer.parseInt(line.substring(5).strip());
                } catch (NumberFormatException e) {
                    b.sid = -1;
                }
            } else if (b != null && line.startsWith("iSCSI Connection State: ")) {
                b.connection =
                        line.substring("iSCSI Connection State: ".length()).strip();
            } else if (b != null && line.startsWith("iSCSI Session State: ")) {
                b.session = line.substring("iSCSI Session State: ".length()).strip();
            } else if (b != null && line.startsWith("Attached scsi disk ")) {
                String rest = line.substring("Attached scsi disk ".length()).strip();
                int ws = rest.indexOf('\t');
                int sp = rest.indexOf(' ');
                int end = ws < 0 ? sp : (sp < 0 ? ws : Math.min(ws, sp));
                b.disks.add(end < 0 ? rest : rest.substring(0, end));
            }
        }
        flush(sessions, b);
        return sessions;
    }

    private static Builder flush(List<IscsiSession> sessions, Builder b) {
        if (b != null && b.sid >= 0 && b.target != null) {
            sessions.add(new IscsiSession(
                    b.target,
                    b.portal == null ? "" : b.portal,
                    b.sid,
                    b.initiator,
                    b.connection,
                    b.session,
                    List.copyOf(b.disks)));
        }
        return null;
    }

    private static final class Builder {
        final String target;
        final String portal;
        int sid = -1;
        String initiator;
        String connection = "Unknown";
        String session = "Unknown";
        final List<String> disks = new ArrayList<>();

        Builder(String target, String portal) {
            this.target = target;
            this.portal = portal;
        }
    }
}
