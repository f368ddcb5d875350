package org.pbxagent.storage.command;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One external program run: argv only (never a shell string), a timeout, optional bytes for stdin and a cap on the
 * output kept from each stream.
 */
@SuppressWarnings("ArrayRecordComponent") // a one-shot request to the runner, never compared or hashed
public record BoundedCommand(List<String> argv, Duration timeout, byte[] stdin, int outputCap) {

    public static final int DEFAULT_OUTPUT_CAP = 256 * 1024;

    public BoundedCommand {
        argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (outputCap < 0) {
            throw new IllegalArgumentException("outputCap must be >= 0");
        }
    }

    public static BoundedCommand of(Duration timeout, String... argv) {
        return new BoundedCommand(List.of(argv), timeout, null, DEFAULT_OUTPUT_CAP);
    }

    public static BoundedCommand of(Duration timeout, List<String> argv) {
        return new BoundedCommand(argv, timeout, null, DEFAULT_OUTPUT_CAP);
    }

    public BoundedCommand withStdin(byte[] input) {
        return new BoundedCommand(argv, timeout, input, outputCap);
    }

    public BoundedCommand withOutputCap(int cap) {
        return new BoundedCommand(argv, timeout, stdin, cap);
    }

    public String program() {
        return argv.get(0);
    }

    /** The argv as one line for logs and messages; never used to run anything. */
    public String display() {
        return String.join(" ", argv);
    }
}
