package org.pbxagent.agent.storage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pbxagent.agent.config.ConfigSource;
import org.pbxagent.agent.config.Secret;
import org.pbxagent.storage.iscsi.IscsiName;
import org.pbxagent.storage.iscsi.IscsiSettings;

/**
 * The {@code iscsi.*} section: the session under the shared device. Absent (null) when no iscsi key is set. The rules
 * of each value are storage's ({@link IscsiSettings}, {@link IscsiName}: portals, LUN range, CHAP pair); this reader
 * puts their complaints under the key.
 */
public record IscsiSection(IscsiSettings settings) {

    static final String[] KEYS = {
        "target", "portals", "lun", "initiator", "chap-user", "chap-secret", "command-timeout-ms", "device-wait-ms"
    };

    public static IscsiSection read(ConfigSource s) {
        boolean any = false;
        for (String k : KEYS) {
            any |= s.isSet(k);
        }
        if (!any) {
            return null;
        }
        IscsiName target = name(s, "target", true);
        IscsiName initiator = name(s, "initiator", false);
        String portalsRaw = s.requiredString("portals", "SAN portals host:port, comma-separated");
        List<String> portals = new ArrayList<>();
        for (String p : portalsRaw.split(",")) {
            String t = p.strip();
            if (t.isEmpty()) {
                continue;
            }
            try {
                portals.add(IscsiSettings.checkPortal(t));
            } catch (IllegalArgumentException e) {
                s.problem("portals", e.getMessage());
            }
        }
        int lun = s.intRange("lun", 1, IscsiSettings.MIN_LUN, IscsiSettings.MAX_LUN);
        String chapUser = s.string("chap-user", null);
        Secret chapSecret = s.secret("chap-secret", false, 0);
        String chapSecretValue = chapSecret.isEmpty() ? null : chapSecret.reveal();
        try {
            IscsiSettings.checkChap(chapUser, chapSecretValue);
        } catch (IscsiSettings.ChapException e) {
            s.problem(e.value() == IscsiSettings.ChapValue.USER ? "chap-user" : "chap-secret", e.getMessage());
            chapUser = null;
            chapSecretValue = null;
        }
        Duration commandTimeout = s.millis("command-timeout-ms", 15_000, 1_000, 300_000);
        Duration deviceWait = s.millis("device-wait-ms", 15_000, 100, 300_000);
        if (target == null || portals.isEmpty()) {
            return null;
        }
        return new IscsiSection(new IscsiSettings(
                target, portals, lun, initiator, chapUser, chapSecretValue, commandTimeout, deviceWait));
    }

    private static IscsiName name(ConfigSource s, String key, boolean required) {
        String v = required
                ? s.requiredString(key, "an iSCSI name such as iqn.2026-11.org.example:shared")
                : s.string(key, null);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return IscsiName.parse(v);
        } catch (IllegalArgumentException e) {
            s.problem(key, e.getMessage());
            return null;
        }
    }
}
