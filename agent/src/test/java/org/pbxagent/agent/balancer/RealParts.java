package org.pbxagent.agent.balancer;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Ports, files and process ends for the tests that start Kamailio and SIPp. */
public final class RealParts {
    private RealParts() {}

    /** A condition polled by {@link #await}; an exception counts as "not yet" and is kept for the failure message. */
    public interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} every 50 ms until it holds, or fails naming {@code what}, the limit and {@code context}. */
    public static void await(String what, long limitMs, Check check, java.util.function.Supplier<String> context)
            throws Exception {
        long deadline = System.nanoTime() + limitMs * 1_000_000;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + ": not reached within " + limitMs + " ms"
                + (last == null ? "" : " (" + last + ")") + context.get());
    }

    public static void await(String what, long limitMs, Check check) throws Exception {
        await(what, limitMs, check, () -> "");
    }

    /** A port free for UDP and TCP on every given loopback address (probed, then released). */
    public static int freePort(String... addresses) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(addresses[0]), 0))) {
                port = d.getLocalPort();
            }
            if (freeEverywhere(port, addresses)) {
                return port;
            }
        }
        throw new IOException("no free port on " + String.join(",", addresses));
    }

    @SuppressWarnings("try") // d is not read: it holds the UDP port while the TCP bind is tried
    private static boolean freeEverywhere(int port, String... addresses) {
        for (String a : addresses) {
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(a), port));
                    ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(a), port));
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    public static Path resource(String name) {
        try {
            return Path.of(RealParts.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " missing", e);
        }
    }

    /** The shipped config, found from the agent module directory (failsafe's working directory). */
    public static Path shippedKamailioCfg() {
        for (Path p : List.of(Path.of("../etc/kamailio/kamailio.cfg"), Path.of("etc/kamailio/kamailio.cfg"))) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException(
                "etc/kamailio/kamailio.cfg not found from " + Path.of("").toAbsolutePath());
    }

    /** SIGTERM to the process, then SIGKILL to it and every descendant still alive after the grace time. */
    public static void stop(Process p, long graceMs) {
        if (p == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroy();
        try {
            if (!p.waitFor(graceMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }

    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // Best effort: a leftover file in a temp dir harms no later run.
                }
            });
        } catch (IOException e) {
            // Same.
        }
    }
}
