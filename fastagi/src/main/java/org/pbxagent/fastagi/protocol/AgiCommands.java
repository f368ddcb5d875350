package org.pbxagent.fastagi.protocol;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writing AGI command lines the way res_agi reads them, and reading them back the same way (for the Asterisk-side
 * client and for tests). res_agi splits a command into words on spaces and tabs; a double quote toggles quoting; a
 * backslash makes the next character literal. A command ends at {@code \n}, so a value can never carry a line end: it
 * would end the command early and let the rest of the value run as a second command.
 */
public final class AgiCommands {
    /**
     * Longest command line res_agi reads whole, without its {@code \n}: it reads into {@code char buf[AGI_BUF_LEN]}
     * (8192) with fgets, so 8191 bytes without a line end run as one command and the rest as further commands.
     */
    public static final int MAX_COMMAND_BYTES = 8190;

    /** Longest value the dialplan can use as {@code ${V}} in application data (VAR_BUF_SIZE 4096, less the NUL). */
    public static final int MAX_DIALPLAN_VALUE_BYTES = 4095;

    /** Start of an {@code EXEC MSet} command whose one argument is double-quoted. */
    private static final String EXEC_MSET = "EXEC MSet \"";

    private AgiCommands() {}

    /**
     * True for names res_agi and the dialplan accept as a channel variable: letters, digits, {@code _}, and a
     * function call such as {@code CHANNEL(language)} or {@code CALLERID(num)}; no spaces, quotes or line ends.
     */
    public static boolean isValidVariableName(String name) {
        if (name == null || name.isEmpty() || name.length() > 80) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '_'
                    || c == '('
                    || c == ')'
                    || c == '-'
                    || c == '.'
                    || c == ',';
            if (!ok) {
                return false;
            }
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
        if (p < 0) {
            return -1;
        }
        p = putAscii(out, p, name);
        if (p < 0 || p + 2 > out.length) {
            return -1;
        }
        out[p++] = ' ';
        out[p++] = '"';
        p = putEscaped(out, p, value == null ? "" : value);
        if (p < 0 || p + 2 > out.length) {
            return -1;
        }
        out[p++] = '"';
        out[p++] = '\n';
        return p;
    }

    /** True for names MSet can take as they are: {@code [A-Za-z0-9_]}, 1..80 characters. */
    public static boolean isPlainVariableName(String name) {
        if (name == null || name.isEmpty() || name.length() > 80) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Appends the start of {@code EXEC MSet "}; returns the new position or -1. */
    public static int putExecMSetStart(byte[] out, int pos) {
        return putAscii(out, pos, EXEC_MSET);
    }

    /**
     * Appends one {@code name=value} pair of an {@code EXEC MSet "..."} command, escaped for both parsers it passes:
     * MSet's argument splitting (a backslash before each of {@code \ " , ( ) [ ]}), then res_agi's word splitting
     * inside the double quotes ({@code \} and {@code "} escaped once more). So {@code \} becomes four backslashes,
     * {@code "} becomes {@code \\\"}, {@code ,} becomes {@code \\,}; every other byte passes as it is. A CR, LF
     * or NUL in the value becomes a space. The name must be {@link #isPlainVariableName plain}. Returns the new
     * position, or -1 when it does not fit in {@code out}.
     */
    public static int putMSetPair(byte[] out, int pos, String name, String value) {
        int p = putAscii(out, pos, name);
        if (p < 0 || p + 1 > out.length) {
            return -1;
        }
        out[p++] = '=';
        String v = value == null ? "" : value;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c >= 0x80) {
                return putMSetUtf8(out, p, v.substring(i));
            }
            p = putMSetByte(out, p, (byte) c);
            if (p < 0) {
                return -1;
            }
        }
        return p;
    }

    private static int putMSetUtf8(byte[] out, int p, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            p = putMSetByte(out, p, b);
            if (p < 0) {
                return -1;
            }
        }
        return p;
    }

    private static int putMSetByte(byte[] out, int p, byte b) {
        if (p + 4 > out.length) {
            return -1;
        }
        switch (b) {
            case '\\':
                out[p++] = '\\';
                out[p++] = '\\';
                out[p++] = '\\';
                out[p++] = '\\';
                break;
            case '"':
                out[p++] = '\\';
                out[p++] = '\\';
                out[p++] = '\\';
                out[p++] = '"';
                break;
            case ',':
            case '(':
            case ')':
            case '[':
            case ']':
                out[p++] = '\\';
                out[p++] = '\\';
                out[p++] = b;
                break;
            case '\n':
            case '\r':
            case 0:
                out[p++] = ' ';
                break;
            default:
                out[p++] = b;
        }
        return p;
    }

    /** Appends the closing {@code "\n} of an {@code EXEC MSet} command; returns the new position or -1. */
    public static int putExecMSetEnd(byte[] out, int pos) {
        if (pos + 2 > out.length) {
            return -1;
        }
        out[pos] = '"';
        out[pos + 1] = '\n';
        return pos + 2;
    }

    /** {@code EXEC MSet "n1=v1,n2=v2"\n} for the given names and values, in order (tests, client, logs). */
    public static String execMSet(List<String> names, List<String> values) {
        int size = 16;
        for (int i = 0; i < names.size(); i++) {
            size += names.get(i).length()
                    + 2
                    + 12 * (values.get(i) == null ? 0 : values.get(i).length());
        }
        byte[] buf = new byte[size];
        int p = putExecMSetStart(buf, 0);
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                buf[p++] = ',';
            }
            p = putMSetPair(buf, p, names.get(i), values.get(i));
        }
        p = putExecMSetEnd(buf, p);
        return new String(buf, 0, p, StandardCharsets.UTF_8);
    }

    /**
     * Splits an application's argument string as Asterisk's {@code AST_STANDARD_APP_ARGS} does
     * ({@code __ast_app_separate_args} with quote and backslash removal): {@code delim} separates arguments outside
     * {@code "..."}, {@code (...)} and {@code [...]}; double quotes are removed; a backslash is removed and makes the
     * next character literal; parentheses and brackets stay. At most {@code max} arguments: the last one takes the
     * rest of the string as it is, unscanned.
     */
    public static List<String> appArguments(String data, char delim, int max) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int paren = 0;
        int bracket = 0;
        boolean quote = false;
        for (int i = 0; i < data.length(); i++) {
            if (out.size() == max - 1) {
                cur.append(data, i, data.length());
                break;
            }
            char c = data.charAt(i);
            if (c == '(') {
                paren++;
                cur.append(c);
            } else if (c == ')') {
                if (paren > 0) {
                    paren--;
                }
                cur.append(c);
            } else if (c == '[') {
                bracket++;
                cur.append(c);
            } else if (c == ']') {
                if (bracket > 0) {
                    bracket--;
                }
                cur.append(c);
            } else if (c == '"' && delim != '"') {
                quote = !quote;
            } else if (c == '\\') {
                if (i + 1 < data.length()) {
                    cur.append(data.charAt(++i));
                }
            } else if (c == delim && paren == 0 && bracket == 0 && !quote) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /**
     * What {@code MSet(data)} sets, in order, as Asterisk 20's {@code pbx_builtin_setvar_multiple} does: the data
     * split into pairs by {@link #appArguments}, each split once at {@code =} (the name part unescaped once more, the
     * value taken as it is); a pair without {@code =} is skipped, as MSet skips it with a warning.
     */
    public static List<Map.Entry<String, String>> msetAssignments(String data) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String pair : appArguments(data, ',', Integer.MAX_VALUE)) {
            List<String> nv = appArguments(pair, '=', 2);
            if (nv.size() < 2) {
                continue;
            }
            out.add(new AbstractMap.SimpleImmutableEntry<>(nv.get(0), nv.get(1)));
        }
        return out;
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
        if (p + s.length() > out.length) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            out[p++] = (byte) s.charAt(i);
        }
        return p;
    }

    private static int putEscaped(byte[] out, int p, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (p + 2 > out.length) {
                    return -1;
                }
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
            if (p + 2 > out.length) {
                return -1;
            }
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
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if (c == '"') {
                quoted = !quoted;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if ((c == ' ' || c == '\t') && !quoted) {
                if (cur != null) {
                    words.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
            }
        }
        if (cur != null) {
            words.add(cur.toString());
        }
        return words;
    }
}
