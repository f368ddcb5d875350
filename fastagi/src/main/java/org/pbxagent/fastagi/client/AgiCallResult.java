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

    AgiCallResult(List<Map.Entry<String, String>> variablesSet, List<String> commands, String transcript) {
        this.variablesSet = Collections.unmodifiableList(new ArrayList<>(variablesSet));
        this.commands = Collections.unmodifiableList(new ArrayList<>(commands));
        this.transcript = transcript;
    }

    /** Every {@code SET VARIABLE} in the order the server sent them (a name set twice appears twice). */
    public List<Map.Entry<String, String>> variablesSet() { return variablesSet; }

    /** The variables as the dialplan sees them after the session: the last value of each name, in first-set order. */
    public Map<String, String> variables() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : variablesSet) m.put(e.getKey(), e.getValue());
        return Collections.unmodifiableMap(m);
    }

    /** Value of a variable after the session, or null. */
    public String variable(String name) { return variables().get(name); }

    /** Command lines the server sent, without line ends. */
    public List<String> commands() { return commands; }

    /** The exchange in the recording's notation: {@code A> } lines sent as Asterisk, {@code S> } lines the server sent. */
    public String transcript() { return transcript; }

    @Override
    public String toString() { return variables().toString(); }
}
