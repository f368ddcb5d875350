package org.pbxagent.agent.config;

import java.util.regex.Pattern;

/** Syntax checks for host names and IP literals; never resolves, so validation cannot hang on DNS. */
final class HostNames {
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private HostNames() {
    }

    static boolean isIpLiteral(String s) {
        if (IPV4.matcher(s).matches()) {
            return true;
        }
        if (!IPV6.matcher(s).matches() || s.length() > 45) {
            return false;
        }
        try {
            // A text with ':' is parsed as an IPv6 literal only, never looked up.
            java.net.InetAddress.getByName(s);
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    static boolean isValidHost(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        if (isIpLiteral(s)) {
            return true;
        }
        if (s.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            return false; // looks like a broken IPv4 literal, not a name
        }
        for (String label : s.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
