package org.pbxagent.agent.ami;

import java.time.Instant;

/**
 * What the watch knows of its Asterisk.
 *
 * @param available      logged in, FullyBooted seen, counts resynced, pings answered
 * @param reason         why not available ("" when available)
 * @param activeCalls    calls: Asterisk's own count at the last resync, kept current from events since
 * @param activeChannels channels alive, from the last CoreShowChannels and events since
 * @param since          when availability last changed
 * @param transitions    how many times availability changed; lets a consumer see a flap that coalescing hid
 */
public record AsteriskState(
        boolean available, String reason, int activeCalls, int activeChannels, Instant since, long transitions) {}
