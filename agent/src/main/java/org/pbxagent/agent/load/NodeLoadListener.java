package org.pbxagent.agent.load;

/** Receives every published {@link NodeLoad}. Must not block; called from one thread. */
public interface NodeLoadListener {
    void onLoad(NodeLoad load);
}
