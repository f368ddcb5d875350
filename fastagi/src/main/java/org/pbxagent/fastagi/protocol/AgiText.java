package org.pbxagent.fastagi.protocol;

/** Untrusted AGI text made safe for a log line; used by the server and the client. */
public final class AgiText {
    private AgiText() {}

    /** Shortened copy of untrusted input with control bytes shown as {@code \xNN}, safe for one log line. */
    public static String printable(CharSequence s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= max && s.length() > max) sb.append("...");
        return sb.toString();
    }
}
