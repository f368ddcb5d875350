package org.pbxagent.storage.command;

import java.time.Duration;
import java.util.List;

/** What became of one {@link BoundedCommand}: how it ended, its exit code, its (capped) output and a short reason. */
public record CommandResult(
        List<String> argv,
        Outcome outcome,
        int exitCode,
        String stdout,
        String stderr,
        boolean truncated,
        Duration elapsed) {

    public enum Outcome {
        /** The program ran and exited by itself; see {@link #exitCode()}. */
        EXITED,
        /** The timeout passed; the whole process group was killed. */
        TIMED_OUT,
        /** The program is not installed (not on PATH or not executable). */
        NOT_INSTALLED,
        /** The program could not be started for another reason. */
        FAILED_TO_START
    }

    public boolean ok() {
        return outcome == Outcome.EXITED && exitCode == 0;
    }

    /** A short reason an operator can act on, e.g. {@code "tgtadm exited 22: can't find the target"}. */
    public String reason() {
        String program = argv.isEmpty() ? "?" : argv.get(0);
        return switch (outcome) {
            case EXITED ->
                exitCode == 0
                        ? program + " succeeded"
                        : program + " exited " + exitCode + lastLine(stderr.isBlank() ? stdout : stderr);
            case TIMED_OUT -> program + " timed out after " + elapsed.toMillis() + " ms and was killed";
            case NOT_INSTALLED -> program + " is not installed (not found on PATH or not executable)";
            case FAILED_TO_START -> program + " could not be started" + lastLine(stderr);
        };
    }

    private static String lastLine(String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            return "";
        }
        int nl = t.lastIndexOf('\n');
        String line = nl < 0 ? t : t.substring(nl + 1).strip();
        if (line.length() > 200) {
            line = line.substring(0, 200) + "...";
        }
        return ": " + line;
    }
}
