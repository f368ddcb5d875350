package org.pbxagent.agent.ami;

import java.util.HashMap;
import java.util.Map;

/**
 * Live channels by Uniqueid, and how many live channels each Linkedid (one call) has. Keyed by Uniqueid so that an
 * event seen twice (in a resync list and as an event) counts once. Used by the reader thread only.
 */
final class ChannelTable {
    private final Map<String, String> linkedByUnique = new HashMap<>();
    private final Map<String, int[]> channelsByLinked = new HashMap<>();

    void add(String uniqueId, String linkedId) {
        if (uniqueId == null) {
            return;
        }
        String linked = linkedId == null || linkedId.isEmpty() ? uniqueId : linkedId;
        if (linkedByUnique.putIfAbsent(uniqueId, linked) == null) {
            channelsByLinked.computeIfAbsent(linked, k -> new int[1])[0]++;
        }
    }

    void remove(String uniqueId) {
        if (uniqueId == null) {
            return;
        }
        String linked = linkedByUnique.remove(uniqueId);
        if (linked != null) {
            int[] n = channelsByLinked.get(linked);
            if (n != null && --n[0] <= 0) {
                channelsByLinked.remove(linked);
            }
        }
    }

    int channels() {
        return linkedByUnique.size();
    }

    /** Distinct Linkedids among live channels: the calls as a caller sees them. */
    int calls() {
        return channelsByLinked.size();
    }

    void clear() {
        linkedByUnique.clear();
        channelsByLinked.clear();
    }
}
