package org.pbxagent.storage.iscsi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * This node's iSCSI side: the target, the portals it is reached on (one session each; several give multipath), the
 * LUN, this node's initiator name, optional CHAP credentials, and the time budgets.
 */
public record IscsiSettings(IscsiName target, List<String> portals, int lun, IscsiName initiator, String chapUser,
                            String chapSecret, Duration commandTimeout, Duration deviceWait) {

    public IscsiSettings {
        Objects.requireNonNull(target, "target");
        portals = List.copyOf(portals);
        if (portals.isEmpty()) {
            throw new IllegalArgumentException("at least one portal is required");
        }
        for (String p : portals) {
            if (!p.matches("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}")) {
                throw new IllegalArgumentException("portal must be host:port or [ipv6]:port: " + p);
            }
        }
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("lun must be 0..16383: " + lun);
        }
        if ((chapUser == null) != (chapSecret == null)) {
            throw new IllegalArgumentException("CHAP needs both a user and a secret");
        }
    }

    public boolean chap() {
        return chapUser != null;
    }

    /** The udev name of the LUN through one portal, as open-iscsi's rules create it. */
    public String byPathDevice(String portal) {
        return "/dev/disk/by-path/ip-" + portal + "-iscsi-" + target.value() + "-lun-" + lun;
    }

    @Override
    public String toString() {
        // never print the CHAP secret
        return "IscsiSettings[target=" + target + ", portals=" + portals + ", lun=" + lun + ", initiator=" + initiator
                + ", chap=" + chap() + "]";
    }
}
