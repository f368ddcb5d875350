package org.pbxagent.fastagi.routing;

/**
 * An Asterisk extension pattern compiled once at snapshot load and matched without allocation. A value starting with
 * {@code _} is a pattern: {@code X} = 0-9, {@code Z} = 1-9, {@code N} = 2-9, {@code [15-7]} a set with ranges,
 * {@code .} one or more further characters, {@code !} zero or more; any other character matches itself. A value
 * without {@code _} matches exactly that string. {@code -} outside brackets is ignored, in a pattern and in a plain
 * value alike, as Asterisk does for readability ({@code 555-1234} is {@code 5551234}).
 */
public final class AsteriskPattern {
    private static final int MAX_LENGTH = 64;

    private final String source;
    private final String exact; // non-null for a plain number
    private final boolean[][] positions; // allowed characters (ASCII) per position
    private final int tail; // 0 none, 1 '.', 2 '!'
    private final int literalCount; // characters that match only themselves: the more, the more specific

    private AsteriskPattern(String source, String exact, boolean[][] positions, int tail, int literalCount) {
        this.source = source;
        this.exact = exact;
        this.positions = positions;
        this.tail = tail;
        this.literalCount = literalCount;
    }

    /** @throws IllegalArgumentException with the reason when the pattern is malformed */
    public static AsteriskPattern compile(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            throw new IllegalArgumentException("empty pattern");
        }
        if (pattern.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("pattern longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < pattern.length(); i++) {
            char ch = pattern.charAt(i);
            if (ch < 0x21 || ch > 0x7e) {
                throw new IllegalArgumentException("pattern has a non-printable or non-ASCII character at " + i);
            }
        }
        if (pattern.charAt(0) != '_') {
            String exact = pattern.indexOf('-') < 0 ? pattern : pattern.replace("-", "");
            if (exact.isEmpty()) {
                throw new IllegalArgumentException("'" + pattern + "' is only '-' separators: it matches nothing");
            }
            return new AsteriskPattern(pattern, exact, null, 0, exact.length());
        }
        boolean[][] pos = new boolean[pattern.length()][];
        int n = 0;
        int tail = 0;
        int literals = 0;
        for (int i = 1; i < pattern.length(); i++) {
            char ch = pattern.charAt(i);
            if (tail != 0) {
                throw new IllegalArgumentException("'" + (tail == 1 ? '.' : '!') + "' must end the pattern");
            }
            switch (ch) {
                case 'X', 'x' -> pos[n++] = range('0', '9');
                case 'Z', 'z' -> pos[n++] = range('1', '9');
                case 'N', 'n' -> pos[n++] = range('2', '9');
                case '.' -> tail = 1;
                case '!' -> tail = 2;
                case '-' -> {
                    /* readability separator */
                }
                case '[' -> {
                    int close = pattern.indexOf(']', i + 1);
                    if (close < 0) {
                        throw new IllegalArgumentException("'[' at " + i + " is not closed");
                    }
                    if (close == i + 1) {
                        throw new IllegalArgumentException("empty character set at " + i);
                    }
                    boolean[] set = new boolean[128];
                    for (int j = i + 1; j < close; j++) {
                        char a = pattern.charAt(j);
                        if (j + 2 < close && pattern.charAt(j + 1) == '-') {
                            char b = pattern.charAt(j + 2);
                            if (b < a) {
                                throw new IllegalArgumentException("reversed range " + a + "-" + b);
                            }
                            for (char k = a; k <= b; k++) {
                                set[k] = true;
                            }
                            j += 2;
                        } else {
                            set[a] = true;
                        }
                    }
                    pos[n++] = set;
                    i = close;
                }
                case ']' -> throw new IllegalArgumentException("']' at " + i + " without '['");
                default -> {
                    boolean[] set = new boolean[128];
                    set[ch] = true;
                    pos[n++] = set;
                    literals++;
                }
            }
        }
        if (n == 0 && tail == 0) {
            throw new IllegalArgumentException("pattern '_' matches nothing");
        }
        boolean[][] exactPositions = new boolean[n][];
        System.arraycopy(pos, 0, exactPositions, 0, n);
        return new AsteriskPattern(pattern, null, exactPositions, tail, literals);
    }

    private static boolean[] range(char from, char to) {
        boolean[] set = new boolean[128];
        for (char k = from; k <= to; k++) {
            set[k] = true;
        }
        return set;
    }

    public boolean matches(String value) {
        if (value == null) {
            return false;
        }
        if (exact != null) {
            return exact.equals(value);
        }
        int len = value.length();
        int n = positions.length;
        if (len < n || (tail == 0 && len != n) || (tail == 1 && len == n)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char ch = value.charAt(i);
            if (ch >= 128 || !positions[i][ch]) {
                return false;
            }
        }
        return true;
    }

    public boolean isExact() {
        return exact != null;
    }

    /** The value a plain number matches (separators dropped), for exact lookups; null for a pattern. */
    public String exact() {
        return exact;
    }

    /** A plain value written with {@code -} separators: what it matches once they are dropped; null otherwise. */
    public String normalisedExact() {
        return exact != null && !exact.equals(source) ? exact : null;
    }

    /** Characters that must be exactly themselves; used to prefer the more specific of two matching patterns. */
    public int literalCount() {
        return literalCount;
    }

    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return source;
    }
}
