package org.pbxagent.agent.load;

/**
 * One sample of this node's load, published on every interval and on every AMI state change.
 *
 * @param asteriskAvailable false when the manager connection is down, login failed or Asterisk announced Shutdown
 * @param unavailableReason why Asterisk is unavailable; empty when available
 * @param activeCalls       calls Asterisk reports (resync) or counted from events since
 * @param activeChannels    channels Asterisk reports or counted from events since
 * @param maxCalls          configured call capacity of this node
 * @param cpuBusy           fraction of CPU time busy between the last two samples, 0..1
 * @param memoryUsed        1 - MemAvailable/MemTotal, 0..1
 * @param agiInFlight       FastAGI sessions in progress
 * @param score             0..100, 100 = full (also 100 when Asterisk is unavailable)
 * @param sampledAt         when this sample was taken
 */
public record NodeLoad(
        boolean asteriskAvailable,
        String unavailableReason,
        int activeCalls,
        int activeChannels,
        int maxCalls,
        double cpuBusy /*0..1*/,
        double memoryUsed /*0..1*/,
        int agiInFlight,
        int score /*0..100, 100 = full*/,
        java.time.Instant sampledAt) {}
