package org.pbxagent.fastagi.server;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the server's sessions came to, one count per {@link Outcome}, and the AGI round trips they made. Shared by
 * every selector thread and handed to each session; counting is one atomic add, no allocation.
 */
public final class SessionCounters {

    /** How a session ended, or why it was not served. A session counts under one outcome at most. */
    public enum Outcome {
        /** Ran to its end with every reply read: the script's answer reached the channel. */
        SERVED,
        /** The client is outside {@code fastagi.allow}: closed at once. */
        REFUSED_BY_ALLOW_LIST,
        /** Above {@code fastagi.max-sessions}: answered CONGESTION/overload. */
        REFUSED_BY_OVERLOAD,
        /** Closed without any answer: even the overload answer had no room (twice max-sessions open). */
        CLOSED_UNANSWERED,
        /** The environment block or a reply was not AGI (bad lines, too long, too many lines, binary). */
        MALFORMED,
        /** The environment block or a reply did not arrive in time. */
        TIMED_OUT,
        /** The URL named a script nobody registered: answered HANGUP/unknown-script. */
        UNKNOWN_SCRIPT,
        /** The script threw or returned what cannot be sent: answered CONGESTION/script-error. */
        SCRIPT_ERROR,
        /** The peer closed before every command had its reply. */
        PEER_CLOSED_EARLY
    }

    /** Filled once, never changed: an EnumMap lookup is an array index. */
    private final Map<Outcome, AtomicLong> byOutcome = new EnumMap<>(Outcome.class);

    private final AtomicLong errorReplies = new AtomicLong();
    private final AtomicLong commandsSent = new AtomicLong();

    public SessionCounters() {
        for (Outcome o : Outcome.values()) {
            byOutcome.put(o, new AtomicLong());
        }
    }

    void count(Outcome outcome) {
        byOutcome.get(outcome).incrementAndGet();
    }

    /** A 5xx reply (510 unknown command, 511 dead channel, 520 usage) read. */
    void errorReply() {
        errorReplies.incrementAndGet();
    }

    /** Commands one ended session wrote: each was one round trip, as every command waits for its reply. */
    void commandsSent(int commands) {
        commandsSent.addAndGet(commands);
    }

    public long get(Outcome outcome) {
        return byOutcome.get(outcome).get();
    }

    public long errorReplies() {
        return errorReplies.get();
    }

    public long commandsSent() {
        return commandsSent.get();
    }
}
