package org.pbxagent.agent.module;

/**
 * Takes this PBX out of (and back into) the balancer's rotation. The HTTP admin endpoints and the stop sequence
 * call it; the balancer's implementation tells every Kamailio, the default one only records the state.
 * Implementations must be thread-safe and must not block longer than their own network timeouts.
 */
public interface DrainSwitch {

    /**
     * Stops new calls from reaching this node.
     *
     * @param reason shown in /status and logs, e.g. {@code maintenance} or {@code agent stopping}
     * @param force  true also when it would leave no active PBX in the cluster (the implementation decides what
     *               that check means; the default one has nothing to check)
     */
    DrainState drain(String reason, boolean force);

    /** Lets new calls reach this node again. */
    DrainState undrain();

    DrainState state();
}
