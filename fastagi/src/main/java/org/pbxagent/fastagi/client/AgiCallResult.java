package org.pbxagent.fastagi.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a FastAGI server did with one call: the variables it set, in order, and the whole exchange. */
public final class AgiCallResult {
    private final List<Map.Entry<String, String>> variablesSet;
    private final List<String> commands;
    private final String transcript;
    private final long holdNanos;
    private final long firstCommandNanos;

    AgiCallResult(
            List<Map.Entry<String, String>> variablesSet,
            List<String> commands,
            String transcript,
            long holdNanos,
            long firstCommandNanos) {
        this.variablesSet = Collections.unmodifiableList(new ArrayList<>(variablesSet));
        this.commands = Collections.unmodifiableList(new ArrayList<>(commands));
        this.transcript = transcript;
        this.holdNanos = holdNanos;
        this.firstCommandNanos = firstCommandNanos;
    }

    /**
     * How long the session held the channel: from the start of the connect to the moment res_agi would go on with
     * the dialplan's next priority (the server closed and every buffered command ran).
     */
    public long holdNanos() {
        return holdNanos;
    }

    /** From the start of the connect to the first command read; -1 when the server sent none. */
    public long firstCommandNanos() {
        return firstCommandNanos;
    }

    /** Commands the server sent: round trips, since Asterisk answers one before it reads the next. */
    public int roundTrips() {
        return commands.size();
    }

    /** Every variable set, by {@code SET VARIABLE} or {@code EXEC Set/MSet}, in order (a name set twice appears twice). */
    public List<Map.Entry<String, String>> variablesSet() {
        return variablesSet;
    }

    /** The variables as the dialplan sees them after the session: the last value of each name, in first-set order. */
    public Map<String, String> variables() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : variablesSet) {
            m.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(m);
    }

    /** Value of a variable after the session, or null. */
    public String variable(String name) {
        return variables().get(name);
    }

    /** Command lines the server sent, without line ends. */
    public List<String> commands() {
        return commands;
    }

    /** The exchange in the recording's notation: {@code A> } lines sent as Asterisk, {@code S> } lines the server sent. */
    public String transcript() {
        return transcript;
    }

    @Override
    public String toString() {
        return variables().toString();
    }
}
