package org.pbxagent.agent.ami;

import java.util.ArrayList;
import java.util.List;

/**
 * One AMI message: the {@code Key: Value} lines up to an empty line, in wire order. Keys may repeat
 * ({@code Output:} lines of a Command reply), so this is a list, not a map. Lookups ignore key case, as manager.c does.
 */
public final class AmiMessage {
    private final String[] keys;
    private final String[] values;

    AmiMessage(List<String> keys, List<String> values) {
        this.keys = keys.toArray(new String[0]);
        this.values = values.toArray(new String[0]);
    }

    /** The first value of {@code key}, or null. */
    public String get(String key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].equalsIgnoreCase(key)) {
                return values[i];
            }
        }
        return null;
    }

    /** Every value of {@code key} in wire order. */
    public List<String> getAll(String key) {
        List<String> out = new ArrayList<>(2);
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].equalsIgnoreCase(key)) {
                out.add(values[i]);
            }
        }
        return out;
    }

    public boolean isEvent() {
        return keys.length > 0 && keys[0].equalsIgnoreCase("Event");
    }

    public boolean isResponse() {
        return keys.length > 0 && keys[0].equalsIgnoreCase("Response");
    }

    /** Event name or Response value: the message's first value. */
    public String kind() {
        return values.length == 0 ? "" : values[0];
    }

    public int size() {
        return keys.length;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < keys.length; i++) {
            // A message from Asterisk never carries our secret, but keep this safe for any message printed.
            String v = keys[i].equalsIgnoreCase("Secret") ? "***" : values[i];
            b.append(keys[i]).append(": ").append(v).append("\\r\\n");
        }
        return b.toString();
    }
}
