package org.pbxagent.agent.config;

import java.util.regex.Pattern;
import org.pbxagent.fastagi.server.IpAddresses;

/**
 * Syntax checks for host names; never resolves, so validation cannot hang on DNS. What an IP literal is, is
 * fastagi's rule ({@link IpAddresses}), the same for every address key.
 */
final class HostNames {
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private HostNames() {}

    static boolean isValidHost(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        if (IpAddresses.isLiteral(s)) {
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
