package org.pbxagent.fastagi.protocol;

/**
 * Untrusted text from Asterisk made safe for a log line or an error reason: used by the FastAGI server and client, and
 * by the agent for what AMI sends (one rule for every Asterisk-facing log line).
 */
public final class AgiText {
    private AgiText() {}

    /**
     * Shortened copy of untrusted input with control characters (C0, DEL and C1) shown as {@code \xNN}, safe for one
     * log line.
     */
    public static String printable(CharSequence s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= max && s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
