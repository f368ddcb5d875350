package org.pbxagent.storage.fence;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.regex.Pattern;

/**
 * tgt's initiator-address ACL entries ({@code ALL}, {@code 10.0.10.12}, {@code 10.0.10.0/24}, {@code ::1},
 * {@code [fe80::]/64}) and whether one may admit a node. Judged on the safe side: an entry that cannot be read, or a
 * node whose address is not known, counts as admitted, so a fence is refused rather than reported done.
 */
final class AddressAcl {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private AddressAcl() {}

    /** An ACL line is an initiator name when it has the iqn./eui./naa. form; anything else is an address rule. */
    static boolean isName(String entry) {
        String e = entry.toLowerCase(java.util.Locale.ROOT);
        return e.startsWith("iqn.") || e.startsWith("eui.") || e.startsWith("naa.");
    }

    /** True when the entry may admit a node logging in from one of these addresses (an empty list: unknown). */
    static boolean mayAdmit(String entry, Collection<String> nodeAddresses) {
        if (entry.equalsIgnoreCase("ALL") || nodeAddresses.isEmpty()) {
            return true;
        }
        String addr = entry;
        int prefix = -1;
        int slash = addr.indexOf('/');
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(addr.substring(slash + 1));
            } catch (NumberFormatException e) {
                return true;
            }
            addr = addr.substring(0, slash);
        }
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        byte[] rule = literal(addr);
        if (rule == null || prefix > rule.length * 8) {
            return true;
        }
        int bits = prefix < 0 ? rule.length * 8 : prefix;
        for (String node : nodeAddresses) {
            byte[] a = literal(node);
            if (a == null || (a.length == rule.length && samePrefix(rule, a, bits))) {
                return true;
            }
        }
        return false;
    }

    /** The address bytes of a numeric literal (IPv4-mapped IPv6 comes back as IPv4), or null: never a DNS lookup. */
    static byte[] literal(String s) {
        if (!IPV4.matcher(s).matches() && !IPV6.matcher(s).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }

    private static boolean samePrefix(byte[] a, byte[] b, int bits) {
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
