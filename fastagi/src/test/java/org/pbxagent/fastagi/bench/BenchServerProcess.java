package org.pbxagent.fastagi.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link BenchServerMain} child JVM: started with the benchmark's own class path, stopped by its own handle. */
final class BenchServerProcess implements AutoCloseable {
    final String kind;
    final Process process;
    final int port;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    BenchServerProcess(String kind, List<String> jvmArgs) throws IOException, InterruptedException {
        this.kind = kind;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.javaBin());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(BenchServerMain.class.getName());
        cmd.add(kind);
        process = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        stdin = process.getOutputStream();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
                        String l;
                        while ((l = r.readLine()) != null) {
                            if (l.startsWith("PORT ") || l.startsWith("STATS ") || l.startsWith("GC ")) {
                                lines.add(l);
                            }
                        }
                    } catch (IOException e) {
                        // process gone
                    }
                },
                "bench-" + kind + "-stdout");
        reader.setDaemon(true);
        reader.start();
        String first = lines.poll(30, TimeUnit.SECONDS);
        if (first == null || !first.startsWith("PORT ")) {
            process.destroyForcibly();
            throw new IOException(kind + " server did not start");
        }
        port = Integer.parseInt(first.substring(5).trim());
    }

    /** The child's counters: inflight, served, refused, processCpuNs, ioThreadCpuNs, rssKiB, threads. */
    Map<String, Long> stats() throws IOException, InterruptedException {
        stdin.write("stats\n".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
        String l = lines.poll(10, TimeUnit.SECONDS);
        if (l == null || !l.startsWith("STATS ")) {
            throw new IOException(kind + " server gave no stats");
        }
        Map<String, Long> m = new HashMap<>();
        for (String kv : l.substring(6).split(" ")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return m;
    }

    void gc() throws IOException, InterruptedException {
        stdin.write("gc\n".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
        lines.poll(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            stdin.write("quit\n".getBytes(StandardCharsets.US_ASCII));
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            // Kill rather than leave a server JVM behind; keep the interrupt for the caller, as AutoCloseable asks.
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The class path this benchmark runs with, also when started by exec:java (a URLClassLoader, not java.class.path). */
    private static String classPath() {
        Set<String> parts = new LinkedHashSet<>();
        for (ClassLoader cl = BenchServerMain.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader) {
                for (URL u : ((URLClassLoader) cl).getURLs()) {
                    try {
                        parts.add(new File(u.toURI()).getPath());
                    } catch (Exception e) {
                        parts.add(u.getPath());
                    }
                }
            }
        }
        if (parts.isEmpty()) {
            return System.getProperty("java.class.path");
        }
        return String.join(File.pathSeparator, parts);
    }

    private static final class Path {
        static String javaBin() {
            return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        }
    }
}
