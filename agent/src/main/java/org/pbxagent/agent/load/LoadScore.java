package org.pbxagent.agent.load;

/**
 * The one load formula. Each input is turned into "how full" (0 = idle, 1 = at the configured limit) and the score
 * is the fullest of them, because a PBX is as full as its scarcest resource:
 *
 * <pre>
 * score = 100                                         if Asterisk is unavailable
 * score = min(100, round(100 * max(calls / maxCalls,
 *                                  cpuBusy / cpuFull,
 *                                  memoryUsed / memoryFull,
 *                                  agiInFlight / maxAgiInFlight)))   otherwise
 * </pre>
 */
public final class LoadScore {
    private LoadScore() {}

    public static int score(
            boolean asteriskAvailable,
            int activeCalls,
            double cpuBusy,
            double memoryUsed,
            int agiInFlight,
            LoadSettings s) {
        if (!asteriskAvailable) {
            return 100;
        }
        double full = (double) activeCalls / s.maxCalls();
        full = Math.max(full, safe(cpuBusy) / s.cpuFull());
        full = Math.max(full, safe(memoryUsed) / s.memoryFull());
        full = Math.max(full, (double) agiInFlight / s.maxAgiInFlight());
        return (int) Math.max(0, Math.min(100, Math.round(100 * full)));
    }

    private static double safe(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
