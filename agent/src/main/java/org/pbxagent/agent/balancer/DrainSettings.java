package org.pbxagent.agent.balancer;

import java.time.Duration;
import org.pbxagent.agent.config.ConfigSource;

/**
 * {@code drain.*}: how drains are applied.
 *
 * @param automatic      drain on its own when Asterisk is unavailable (and undrain when it is back)
 * @param forceAutomatic also when that leaves the dispatcher set with no active PBX (off: the last PBX stays)
 * @param waitLimit      how long a drain or undrain waits for the Kamailios' answers before it reports
 */
public record DrainSettings(boolean automatic, boolean forceAutomatic, Duration waitLimit) {

    public static DrainSettings read(ConfigSource s) {
        boolean automatic = s.bool("automatic", true);
        boolean force = s.bool("force-automatic", false);
        Duration wait = s.millis("wait-ms", 2000, 100, 60_000);
        return new DrainSettings(automatic, force, wait);
    }

    @Override
    public String toString() {
        return "drain: automatic=" + automatic + " force-automatic=" + forceAutomatic + " wait=" + waitLimit.toMillis()
                + "ms";
    }
}
