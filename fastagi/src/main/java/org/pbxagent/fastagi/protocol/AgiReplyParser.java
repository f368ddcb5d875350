package org.pbxagent.fastagi.protocol;

/**
 * Turns reply lines from Asterisk into {@link AgiReply} objects. Feed it one line at a time (without the line end);
 * it returns a reply when one is complete and null while inside a {@code 520-} usage block. A {@code HANGUP} line,
 * which res_agi sends on its own when the caller hangs up, is not a reply: check {@link #isHangup(String)} first.
 * One parser per session; not thread-safe.
 */
public final class AgiReplyParser {
    /** res_agi sends this line, outside any reply, when the channel hangs up while the AGI runs. */
    public static final String HANGUP = "HANGUP";

    private StringBuilder usageBlock;
    private String usageFirst;

    public static boolean isHangup(String line) {
        return HANGUP.equals(line);
    }

    /** True while a multi-line {@code 520-} block has started and not yet ended. */
    public boolean inUsageBlock() {
        return usageFirst != null;
    }

    /**
     * @return the completed reply, or null if the line opened or continued a 520 block
     * @throws AgiProtocolException if the line is not a reply res_agi can send
     */
    public AgiReply accept(String line) throws AgiProtocolException {
        if (usageFirst != null) {
            if (line.startsWith("520 ")) {
                String usage = usageBlock.toString();
                String text = usageFirst + "\n" + (usage.isEmpty() ? "" : usage + "\n") + line;
                usageFirst = null;
                usageBlock = null;
                return new AgiReply(520, AgiReply.NO_RESULT, null, AgiReply.NO_ENDPOS, usage, text);
            }
            if (usageBlock.length() > 0) {
                usageBlock.append('\n');
            }
            usageBlock.append(line);
            return null;
        }
        if (line.startsWith("520-")) {
            usageFirst = line;
            usageBlock = new StringBuilder(128);
            return null;
        }
        return parseLine(line);
    }

    /** Parses a one-line reply ({@code 200 result=1 (x) endpos=5}, {@code 510 ...}, {@code 520 ...}). */
    public static AgiReply parseLine(String line) throws AgiProtocolException {
        if (line.length() < 3
                || !isDigit(line.charAt(0))
                || !isDigit(line.charAt(1))
                || !isDigit(line.charAt(2))
                || (line.length() > 3 && line.charAt(3) != ' ')) {
            throw new AgiProtocolException("not an AGI reply: " + AgiText.printable(line, 80));
        }
        int status = (line.charAt(0) - '0') * 100 + (line.charAt(1) - '0') * 10 + (line.charAt(2) - '0');
        if (status != 200) {
            return new AgiReply(status, AgiReply.NO_RESULT, null, AgiReply.NO_ENDPOS, null, line);
        }
        int result = AgiReply.NO_RESULT;
        String data = null;
        long endpos = AgiReply.NO_ENDPOS;
        int i = 4;
        if (line.startsWith("result=", i)) {
            i += 7;
            int start = i;
            if (i < line.length() && line.charAt(i) == '-') {
                i++;
            }
            while (i < line.length() && isDigit(line.charAt(i))) {
                i++;
            }
            try {
                result = Integer.parseInt(line, start, i, 10);
            } catch (NumberFormatException e) {
                throw new AgiProtocolException("bad result in AGI reply: " + AgiText.printable(line, 80));
            }
        }
        if (line.startsWith(" (", i)) {
            // Data may itself hold parentheses or " endpos=": the data ends at the last ')' that is followed by
            // the end of the line or by " endpos=".
            int close = line.lastIndexOf(')');
            int ep = line.lastIndexOf(" endpos=");
            if (ep > i && ep > close) {
                close = line.lastIndexOf(')', ep);
            }
            if (close < i + 2) {
                throw new AgiProtocolException("unterminated data in AGI reply: " + AgiText.printable(line, 80));
            }
            data = line.substring(i + 2, close);
            i = close + 1;
        }
        if (line.startsWith(" endpos=", i)) {
            try {
                endpos = Long.parseLong(line, i + 8, line.length(), 10);
            } catch (NumberFormatException e) {
                throw new AgiProtocolException("bad endpos in AGI reply: " + AgiText.printable(line, 80));
            }
        }
        return new AgiReply(status, result, data, endpos, null, line);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
