package org.pbxagent.storage.iscsi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * This node's iSCSI side: the target, the portals it is reached on (one session each; several give multipath), the
 * LUN, this node's initiator name, optional CHAP credentials, and the time budgets.
 */
public record IscsiSettings(
        IscsiName target,
        List<String> portals,
        int lun,
        IscsiName initiator,
        String chapUser,
        String chapSecret,
        Duration commandTimeout,
        Duration deviceWait) {

    /** The LUN numbers a target may give (SAM's flat space addressing, as LIO and tgt use it). */
    public static final int MIN_LUN = 0;

    public static final int MAX_LUN = 16383;

    // A portal as iscsiadm takes it: a host name or IPv4 literal, or a bracketed IPv6 literal, and a port.
    private static final Pattern PORTAL = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}");

    public IscsiSettings {
        Objects.requireNonNull(target, "target");
        portals = List.copyOf(portals);
        if (portals.isEmpty()) {
            throw new IllegalArgumentException("at least one portal is required");
        }
        for (String p : portals) {
            checkPortal(p);
        }
        if (lun < MIN_LUN || lun > MAX_LUN) {
            throw new IllegalArgumentException("lun must be " + MIN_LUN + ".." + MAX_LUN + ": " + lun);
        }
        checkChap(chapUser, chapSecret);
    }

    /**
     * RFC 3720 (8.2.1) asks for CHAP secrets of at least 96 bits; 12 characters is also the floor that the Windows and
     * several target implementations hold to, so a shorter one would fail at some peer's login, not here.
     */
    public static final int MIN_CHAP_SECRET_LENGTH = 12;

    /** Which of the two CHAP values a {@link ChapException} is about, for the caller to name its own key. */
    public enum ChapValue {
        USER,
        SECRET
    }

    /** A CHAP pair that cannot log in: says which value is wrong. The message never holds the secret. */
    public static final class ChapException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final ChapValue value;

        ChapException(ChapValue value, String message) {
            super(message);
            this.value = value;
        }

        public ChapValue value() {
            return value;
        }
    }

    /**
     * The CHAP rule: no CHAP (both null), or a user and a secret of at least {@value #MIN_CHAP_SECRET_LENGTH}
     * characters.
     *
     * @throws ChapException naming the value that breaks it
     */
    public static void checkChap(String chapUser, String chapSecret) {
        if (chapUser == null && chapSecret != null) {
            throw new ChapException(ChapValue.USER, "required when a CHAP secret is set");
        }
        if (chapUser != null && chapSecret == null) {
            throw new ChapException(ChapValue.SECRET, "required when a CHAP user is set");
        }
        if (chapUser != null && chapUser.isBlank()) {
            throw new ChapException(ChapValue.USER, "must not be blank");
        }
        if (chapSecret != null && chapSecret.length() < MIN_CHAP_SECRET_LENGTH) {
            throw new ChapException(
                    ChapValue.SECRET,
                    "expected a secret of at least " + MIN_CHAP_SECRET_LENGTH + " characters, got "
                            + chapSecret.length());
        }
    }

    /**
     * Checks one portal ({@code host:port} or {@code [ipv6]:port}).
     *
     * @return the portal
     * @throws IllegalArgumentException saying what is expected, for the caller to put under its key
     */
    public static String checkPortal(String portal) {
        if (!PORTAL.matcher(portal).matches()) {
            throw new IllegalArgumentException("expected host:port or [ipv6]:port, got '" + portal + "'");
        }
        return portal;
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
