package org.pbxagent.agent.balancer;

import java.time.Duration;

/**
 * What this node is in every Kamailio: its dispatcher destination and its htable key.
 *
 * @param setId      dispatcher set of the PBXs
 * @param nodeUri    this PBX exactly as in the dispatcher list, e.g. {@code sip:10.0.0.21:5060}
 * @param htable     htable holding the scores ({@code pbxload})
 * @param htableKey  this node's key in it (the shipped kamailio.cfg looks scores up by the dispatcher URI)
 * @param scoreTtl   how long a pushed score stays valid in Kamailio; a silent agent's score expires with it
 */
public record BalancerTarget(int setId, String nodeUri, String htable, String htableKey, Duration scoreTtl) {

    public BalancerTarget {
        if (setId < 0) {
            throw new IllegalArgumentException("dispatcher set id must be >= 0, got " + setId);
        }
        if (nodeUri == null || !nodeUri.matches("sips?:[^\\s\"]+")) {
            throw new IllegalArgumentException("node URI must be a sip: URI as in the dispatcher list, got " + nodeUri);
        }
        if (htable == null || !htable.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("htable name must be letters, digits, _; got " + htable);
        }
        if (htableKey == null || htableKey.isBlank()) {
            throw new IllegalArgumentException("htable key must not be empty");
        }
        if (scoreTtl == null || scoreTtl.toSeconds() < 1) {
            throw new IllegalArgumentException("score TTL must be at least 1 s, got " + scoreTtl);
        }
    }

    int ttlSeconds() {
        return (int) Math.min(Integer.MAX_VALUE, scoreTtl.toSeconds());
    }
}
