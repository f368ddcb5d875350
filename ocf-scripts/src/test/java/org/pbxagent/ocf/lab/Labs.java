package org.pbxagent.ocf.lab;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Host-side commands of the lab, each with a time limit. */
final class Labs {

    private Labs() {}

    record Result(int rc, String out, long millis) {}

    static Result run(Duration limit, String... argv) {
        return run(limit, Map.of(), null, List.of(argv));
    }

    static Result run(Duration limit, Map<String, String> env, String stdin, List<String> argv) {
        try {
            Path out = Files.createTempFile("lab-out", ".txt");
            try {
                ProcessBuilder pb =
                        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile());
                pb.environment().putAll(env);
                Path in = null;
                if (stdin != null) {
                    in = Files.createTempFile("lab-in", ".txt");
                    Files.writeString(in, stdin);
                    pb.redirectInput(in.toFile());
                } else {
                    pb.redirectInput(new File("/dev/null"));
                }
                long t0 = System.nanoTime();
                Process p = pb.start();
                boolean done = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
                long ms = (System.nanoTime() - t0) / 1_000_000L;
                if (in != null) {
                    Files.deleteIfExists(in);
                }
                if (!done) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(-1, Files.readString(out) + "\n(killed after " + limit + ")", ms);
                }
                return new Result(p.exitValue(), Files.readString(out), ms);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String exec(Duration limit, String... argv) {
        Result r = run(limit, argv);
        if (r.rc() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.rc() + ": " + r.out());
        }
        return r.out();
    }

    static double seconds(long nanos) {
        return Math.round(nanos / 1e7) / 100.0;
    }
}
