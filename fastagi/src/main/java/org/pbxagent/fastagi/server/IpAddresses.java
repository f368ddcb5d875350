package org.pbxagent.fastagi.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * What counts as an IP literal, for bind addresses and allow lists here and for the agent's other address keys. Never
 * resolves: an address check at start must not wait on DNS, nor take a name that could later point elsewhere.
 */
public final class IpAddresses {
    // Dotted quad only: the short and octal forms InetAddress also takes (127.1, 010.0.0.1) are refused.
    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private IpAddresses() {}

    /** True for {@code 192.0.2.1} or {@code ::1}; false for names, ports, scopes and anything else. */
    public static boolean isLiteral(String s) {
        if (IPV4.matcher(s).matches()) {
            return true;
        }
        if (!IPV6.matcher(s).matches() || s.length() > 45) {
            return false;
        }
        try {
            // A text with ':' is parsed as an IPv6 literal only, never looked up.
            InetAddress.getByName(s);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The address of a literal, without any lookup.
     *
     * @throws IllegalArgumentException if {@code s} is not {@linkplain #isLiteral an IP literal}
     */
    public static InetAddress parseLiteral(String s) {
        if (!isLiteral(s)) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address", e);
        }
    }
}
