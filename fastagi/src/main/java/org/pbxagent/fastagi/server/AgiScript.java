package org.pbxagent.fastagi.server;

/**
 * A FastAGI script that talks to the channel in several steps (for example one that holds the session on
 * {@code WAIT FOR DIGIT}). Written in continuation style: {@link #start} sends commands with reply handlers and
 * returns at once; the handlers send more or call {@link AgiChannel#finish()}. Runs on a selector thread shared by
 * many sessions, so it must never block. A script whose whole answer is known from the request alone should be a
 * {@link org.pbxagent.fastagi.DecisionScript} instead: it goes out as one command, one round trip.
 */
@FunctionalInterface
public interface AgiScript {
    void start(AgiChannel channel);
}
