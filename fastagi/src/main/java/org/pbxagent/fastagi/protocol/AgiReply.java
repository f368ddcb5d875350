package org.pbxagent.fastagi.protocol;

/**
 * One reply from Asterisk to one AGI command, as res_agi formats it: {@code 200 result=N [(data)] [endpos=N]},
 * {@code 510 Invalid or unknown command}, {@code 511 Command Not Permitted ...}, or the multi-line
 * {@code 520-...}/{@code 520 End of proper usage.} block whose middle lines are the command's usage text.
 */
public final class AgiReply {
    /** {@link #result()} when the reply carries no {@code result=}. */
    public static final int NO_RESULT = Integer.MIN_VALUE;
    /** {@link #endpos()} when the reply carries no {@code endpos=}. */
    public static final long NO_ENDPOS = -1;

    private final int status;
    private final int result;
    private final String data;
    private final long endpos;
    private final String usage;
    private final String text;

    AgiReply(int status, int result, String data, long endpos, String usage, String text) {
        this.status = status;
        this.result = result;
        this.data = data;
        this.endpos = endpos;
        this.usage = usage;
        this.text = text;
    }

    /** 200, 510, 511, 520 ... */
    public int status() {
        return status;
    }

    public boolean isSuccess() {
        return status == 200;
    }

    /** {@code result=} value, or {@link #NO_RESULT}. */
    public int result() {
        return result;
    }

    /** Text inside the parentheses after {@code result=}, or null (e.g. the value of GET VARIABLE). */
    public String data() {
        return data;
    }

    /** {@code endpos=} of STREAM FILE and friends, or {@link #NO_ENDPOS}. */
    public long endpos() {
        return endpos;
    }

    /** For a 520 reply: the usage lines between the first and the last line, joined by {@code \n}; else null. */
    public String usage() {
        return usage;
    }

    /** The reply as received, lines joined by {@code \n}, without the final line end. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
