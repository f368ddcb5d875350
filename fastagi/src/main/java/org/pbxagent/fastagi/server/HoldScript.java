package org.pbxagent.fastagi.server;

import java.time.Duration;
import org.pbxagent.fastagi.protocol.AgiReply;

/**
 * Diagnostic script that holds the session on one long command: {@code WAIT FOR DIGIT <ms>} (query parameter
 * {@code ms}, default 10000, at most one hour), then sets {@code HOLD_RESULT} to the reply's result and ends.
 * Used to check that many sessions can be held open at once, e.g. {@code AGI(agi://127.0.0.1:4573/hold?ms=30000)}.
 */
public final class HoldScript implements AgiScript {
    public static final String NAME = "hold";
    private static final long MAX_MS = 3_600_000;
    private final Duration replyMargin;

    /** @param replyMargin time allowed beyond the wait itself for Asterisk's reply to arrive */
    public HoldScript(Duration replyMargin) {
        this.replyMargin = replyMargin;
    }

    @Override
    public void start(AgiChannel channel) {
        long ms = 10_000;
        String p = channel.request().parameter("ms");
        if (p != null) {
            try {
                ms = Math.max(0, Math.min(MAX_MS, Long.parseLong(p)));
            } catch (NumberFormatException e) {
                ms = 10_000;
            }
        }
        channel.send("WAIT FOR DIGIT " + ms, Duration.ofMillis(ms).plus(replyMargin), (AgiReply reply) -> {
            String result = reply.result() == AgiReply.NO_RESULT ? "" : Integer.toString(reply.result());
            channel.setVariable("HOLD_RESULT", result, r -> {});
            channel.finish();
        });
    }
}
