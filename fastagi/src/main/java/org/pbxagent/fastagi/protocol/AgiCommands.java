package org.pbxagent.fastagi.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writing AGI command lines the way res_agi reads them, and reading them back the same way (for the Asterisk-side
 * client and for tests). res_agi splits a command into words on spaces and tabs; a double quote toggles quoting; a
 * backslash makes the next character literal. A command ends at {@code \n}, so a value can never carry a line end: it
 * would end the command early and let the rest of the value run as a second command.
 */
public final class AgiCommands {
    /** res_agi reads a command into a buffer of this size (AGI_BUF_LEN); a longer line is cut. */
    public static final int MAX_COMMAND_BYTES = 2047;

    private AgiCommands() {}

    /**
     * True for names res_agi and the dialplan accept as a channel variable: letters, digits, {@code _}, and a
     * function call such as {@code CHANNEL(language)} or {@code CALLERID(num)}; no spaces, quotes or line ends.
     */
    public static boolean isValidVariableName(String name) {
        if (name == null || name.isEmpty() || name.length() > 80) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '(' || c == ')' || c == '-' || c == '.' || c == ',';
            if (!ok) return false;
        }
        return true;
    }

    /**
     * Appends {@code SET VARIABLE NAME "value"\n} to {@code out} starting at {@code pos}; returns the new position,
     * or -1 when it does not fit in {@code out}. The value is quoted and escaped; a CR, LF or NUL in it becomes a
     * space (a line end would split the command). The caller checks the name with {@link #isValidVariableName}.
     */
    public static int putSetVariable(byte[] out, int pos, String name, String value) {
        int p = putAscii(out, pos, "SET VARIABLE ");
        if (p < 0) return -1;
        p = putAscii(out, p, name);
        if (p < 0 || p + 2 > out.length) return -1;
        out[p++] = ' ';
        out[p++] = '"';
        p = putEscaped(out, p, value == null ? "" : value);
        if (p < 0 || p + 2 > out.length) return -1;
        out[p++] = '"';
        out[p++] = '\n';
        return p;
    }

    /** {@code SET VARIABLE NAME "value"\n} as a String (tests, client, logs). */
    public static String setVariable(String name, String value) {
        byte[] buf = new byte[32 + name.length() + 6 * (value == null ? 0 : value.length())];
        int n = putSetVariable(buf, 0, name, value);
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    /** {@code "value"} quoted and escaped for res_agi, without line ends. */
    public static String quote(String value) {
        byte[] buf = new byte[2 + 6 * value.length()];
        buf[0] = '"';
        int n = putEscaped(buf, 1, value);
        buf[n++] = '"';
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    private static int putAscii(byte[] out, int p, String s) {
        if (p + s.length() > out.length) return -1;
        for (int i = 0; i < s.length(); i++) out[p++] = (byte) s.charAt(i);
        return p;
    }

    private static int putEscaped(byte[] out, int p, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (p + 2 > out.length) return -1;
                if (c == '"' || c == '\\') {
                    out[p++] = '\\';
                    out[p++] = (byte) c;
                } else if (c == '\n' || c == '\r' || c == 0) {
                    out[p++] = ' ';
                } else {
                    out[p++] = (byte) c;
                }
            } else {
                // Rare: non-ASCII text (e.g. a caller name). Encode the rest as UTF-8; its bytes never collide
                // with '"', '\\' or line ends, so the escaping above still holds for the ASCII among them.
                return putEscapedUtf8(out, p, s.substring(i));
            }
        }
        return p;
    }

    private static int putEscapedUtf8(byte[] out, int p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (byte x : b) {
            if (p + 2 > out.length) return -1;
            if (x == '"' || x == '\\') {
                out[p++] = '\\';
                out[p++] = x;
            } else if (x == '\n' || x == '\r' || x == 0) {
                out[p++] = ' ';
            } else {
                out[p++] = x;
            }
        }
        return p;
    }

    /**
     * Splits a command line into words exactly as res_agi does (spaces/tabs separate words outside quotes, a
     * double quote toggles quoting, a backslash makes the next character literal).
     */
    public static List<String> parseWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        boolean escaped = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (escaped) {
                if (cur == null) cur = new StringBuilder();
                cur.append(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
                if (cur == null) cur = new StringBuilder();
            } else if (c == '"') {
                quoted = !quoted;
                if (cur == null) cur = new StringBuilder();
            } else if ((c == ' ' || c == '\t') && !quoted) {
                if (cur != null) {
                    words.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) cur = new StringBuilder();
                cur.append(c);
            }
        }
        if (cur != null) words.add(cur.toString());
        return words;
    }
}
