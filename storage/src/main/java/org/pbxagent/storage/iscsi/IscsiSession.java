package org.pbxagent.storage.iscsi;

import java.util.List;

/**
 * One session as {@code iscsiadm -m session -P 1} (or -P 3) prints it. The session state is the kernel's
 * (LOGGED_IN, FAILED, FREE): a connection can read "LOGGED IN" while the session is FAILED and I/O is queued.
 */
public record IscsiSession(
        String target,
        String portal,
        int sid,
        String initiator,
        String connectionState,
        String sessionState,
        List<String> disks) {

    public boolean loggedIn() {
        return "LOGGED_IN".equals(sessionState) && "LOGGED IN".equals(connectionState);
    }

    /** host:port without the ",tpgt" suffix. */
    public String portalAddress() {
        int comma = portal.lastIndexOf(',');
        return comma < 0 ? portal : portal.substring(0, comma);
    }
}
