package org.pbxagent.storage.iscsi;

import java.util.regex.Pattern;

/**
 * An iSCSI node name (RFC 3720 section 3.2.6: iqn., eui. or naa. form). Names reach command lines on this node and on
 * the SAN, so anything outside the RFC's character set is refused here, before it gets near a program.
 */
public record IscsiName(String value) {

    private static final Pattern IQN =
            Pattern.compile("iqn\\.[0-9]{4}-[0-9]{2}\\.[a-z0-9][a-z0-9.-]*(:[a-z0-9.:_-]+)?");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9a-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.[0-9a-f]{16}([0-9a-f]{16})?");

    public IscsiName {
        if (value == null
                || value.length() > 223
                || !(IQN.matcher(value).matches()
                        || EUI.matcher(value).matches()
                        || NAA.matcher(value).matches())) {
            throw new IllegalArgumentException("not a valid iSCSI name (iqn.YYYY-MM.reversed.domain[:id], eui. or naa."
                    + " form, lower case): " + value);
        }
    }

    /** iSCSI names compare case-insensitively; they are stored lower case. */
    public static IscsiName parse(String raw) {
        return new IscsiName(raw == null ? null : raw.strip().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return value;
    }
}
