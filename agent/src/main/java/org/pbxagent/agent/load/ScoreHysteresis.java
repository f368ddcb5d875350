package org.pbxagent.agent.load;

/**
 * Holds the published score steady against noise. The published score follows the computed one only when it moves
 * by at least {@code hysteresisPoints}, crosses a threshold (upward as soon as it reaches it, downward only once it is more than
 * {@code thresholdBand} points below, so a score wobbling on a threshold does not flap), reaches 100, or when forced
 * (Asterisk availability changed). Used from one thread.
 */
public final class ScoreHysteresis {
    private final int step;
    private final int[] thresholds;
    private final int band;
    private int published = -1;

    public ScoreHysteresis(LoadSettings s) {
        this.step = s.hysteresisPoints();
        this.thresholds = s.thresholds();
        this.band = s.thresholdBand();
    }

    /** Offers a freshly computed score; returns the score to publish. */
    public int offer(int computed, boolean force) {
        if (force || moves(computed)) {
            published = computed;
        }
        return published;
    }

    /** Whether {@link #offer} would change the published score (without changing it). */
    public boolean moves(int computed) {
        return published < 0
                || (computed != published
                        && (Math.abs(computed - published) >= step || computed == 100 || crosses(computed)));
    }

    private boolean crosses(int computed) {
        for (int t : thresholds) {
            if (published < t && computed >= t) {
                return true;
            }
            if (published >= t && computed <= t - band - 1) {
                return true;
            }
        }
        return false;
    }

    public int published() {
        return published;
    }
}
