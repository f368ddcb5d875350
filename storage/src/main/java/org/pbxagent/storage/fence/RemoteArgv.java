package org.pbxagent.storage.fence;

import java.util.List;

/**
 * SSH carries one command line that the remote login shell splits again. Every argv element is single-quoted so the
 * remote shell sees exactly the argv we built, whatever it contains.
 */
final class RemoteArgv {

    private RemoteArgv() {}

    static String quote(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String arg : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append('\'');
            for (int i = 0; i < arg.length(); i++) {
                char c = arg.charAt(i);
                if (c == '\'') {
                    sb.append("'\\''");
                } else if (c == '\0' || c == '\n' || c == '\r') {
                    throw new IllegalArgumentException("control character in remote argument");
                } else {
                    sb.append(c);
                }
            }
            sb.append('\'');
        }
        return sb.toString();
    }
}
