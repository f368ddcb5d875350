package org.pbxagent.agent.ami;

import java.util.List;

/**
 * Asterisk's own counts, from {@code Command: core show channels count}: the one parser of its output.
 *
 * <p>Why this action: its {@code N active calls} line is what the balancer must see, and it matched the live calls
 * exactly on a real Asterisk 20 at 20, 100 and 200 calls (40 / 200 / 400 channels: a ring-group call has two legs).
 * {@code CoreShowChannels} lists channels, not calls (its {@code ListItems} would count each call twice there), and
 * writes one event per channel, 400 at 200 calls, on every ask; this answer is three lines whatever the load.
 *
 * @param calls    "N active calls"
 * @param channels "N active channels"
 */
public record CallCounts(int calls, int channels) {
    public static final String COMMAND = "core show channels count";

    /**
     * Reads the {@code Output} lines ({@code 3 active channels}, {@code 3 active calls}, {@code 12 calls processed});
     * singular forms ({@code 1 active call}) as Asterisk prints them. Null when the calls line is missing or not a
     * number; a missing channels line gives channels -1.
     */
    public static CallCounts parse(List<String> output) {
        int calls = -1;
        int channels = -1;
        for (String line : output) {
            String t = line.trim();
            int sp = t.indexOf(' ');
            if (sp <= 0) {
                continue;
            }
            String rest = t.substring(sp + 1);
            if (rest.equals("active calls") || rest.equals("active call")) {
                calls = number(t.substring(0, sp));
                if (calls < 0) {
                    return null;
                }
            } else if (rest.equals("active channels") || rest.equals("active channel")) {
                channels = number(t.substring(0, sp));
            }
        }
        return calls < 0 ? null : new CallCounts(calls, channels);
    }

    private static int number(String s) {
        try {
            int n = Integer.parseInt(s);
            return n < 0 ? -1 : n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
