package org.pbxagent.storage.probe;

import java.time.Duration;

/**
 * The outcome of one probe: healthy, or which step failed and why. {@code notRunning} marks the clean "not mounted"
 * case (OCF 7), as opposed to a failure (OCF 1).
 */
public record ProbeReport(
        int depth, boolean healthy, boolean notRunning, String failedStep, String message, Duration elapsed) {

    static ProbeReport ok(int depth, Duration elapsed) {
        return new ProbeReport(depth, true, false, null, "healthy at depth " + depth, elapsed);
    }

    static ProbeReport failed(int depth, String step, String message, Duration elapsed) {
        return new ProbeReport(depth, false, false, step, message, elapsed);
    }

    static ProbeReport notRunning(int depth, String message, Duration elapsed) {
        return new ProbeReport(depth, false, true, "mount", message, elapsed);
    }
}
