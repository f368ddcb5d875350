package org.pbxagent.agent.ami;

/**
 * Told of every availability change at once and of count changes (coalesced: only the latest state is delivered
 * when the listener is slower than the events). Called from one notifier thread, never from the AMI reader.
 */
public interface AsteriskStateListener {
    void onAsteriskState(AsteriskState state);
}
