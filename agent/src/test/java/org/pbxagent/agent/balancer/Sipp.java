package org.pbxagent.agent.balancer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** SIPp processes: a PBX stand-in (UAS) that runs until stopped, and caller runs (UAC) that end by themselves. */
public final class Sipp {
    private Sipp() {}

    /** A PBX stand-in on {@code ip:port}; answers OPTIONS (-aa), logs each INVITE and BYE. */
    public static final class Uas implements AutoCloseable {
        final String ip;
        final int port;
        public final Path log;
        private final String scenario;
        private Process process;

        Uas(Path dir, String ip, int port) {
            this(dir, ip, port, "sipp/pbx-uas.xml");
        }

        /** The same with another answering scenario (a test resource). */
        public Uas(Path dir, String ip, int port, String scenario) {
            this.ip = ip;
            this.port = port;
            this.log = dir.resolve("uas-" + ip + ".log");
            this.scenario = scenario;
        }

        public String uri() {
            return "sip:" + ip + ":" + port;
        }

        public void start() throws IOException, InterruptedException {
            Files.deleteIfExists(log);
            List<String> cmd = List.of(
                    "sipp",
                    "-sf",
                    RealParts.resource(scenario).toString(),
                    "-i",
                    ip,
                    "-p",
                    Integer.toString(port),
                    "-aa",
                    "-nostdin",
                    "-trace_logs",
                    "-log_file",
                    log.toString());
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.resolveSibling("uas-" + ip + ".out").toFile())
                    .start();
            // SIPp binds at once; a short bounded wait for the socket before Kamailio's first ping.
            for (int i = 0; i < 50 && process.isAlive() && !bound(); i++) {
                Thread.sleep(50);
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "sipp UAS on " + ip + " exited: " + Files.readString(log.resolveSibling("uas-" + ip + ".out")));
            }
        }

        private boolean bound() {
            try {
                new java.net.DatagramSocket(new java.net.InetSocketAddress(java.net.InetAddress.getByName(ip), port))
                        .close();
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        /** The SIP side dies at once, as on a crash: calls up on it are lost. */
        void kill() {
            if (process != null) {
                process.destroyForcibly();
                try {
                    process.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        public boolean alive() {
            return process != null && process.isAlive();
        }

        @Override
        public void close() {
            RealParts.stop(process, 2000);
        }
    }

    /** One run of a scenario that ends by itself: SIPp's exit code, its -trace_logs lines, its output. */
    public record Run(int exitCode, List<String> logLines, String output) {}

    /**
     * Runs the scenario file {@code scenario} from {@code localIp:localPort} to {@code 127.0.0.1:port} with
     * {@code extra} arguments, bounded by {@code limitMs}; a run still going then is stopped and fails.
     */
    public static Run run(
            Path dir,
            String name,
            Path scenario,
            String localIp,
            int localPort,
            int port,
            List<String> extra,
            long limitMs)
            throws IOException, InterruptedException {
        Path log = dir.resolve("run-" + name + ".log");
        Path out = dir.resolve("run-" + name + ".out");
        Files.deleteIfExists(log);
        List<String> cmd = new ArrayList<>(List.of(
                "sipp",
                "-sf",
                scenario.toString(),
                "-i",
                localIp,
                "-p",
                Integer.toString(localPort),
                "127.0.0.1:" + port,
                "-m",
                "1",
                "-nostdin",
                "-timeout",
                (limitMs / 1000) + "s",
                "-trace_logs",
                "-log_file",
                log.toString()));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(limitMs + 10_000, TimeUnit.MILLISECONDS)) {
            RealParts.stop(p, 1000);
            throw new IllegalStateException("sipp " + name + " did not end within " + (limitMs + 10_000) + " ms");
        }
        List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.US_ASCII) : List.of();
        return new Run(p.exitValue(), lines, Files.readString(out));
    }

    /** Result of one caller run: which PBX answered each call (by call number), and calls whose BYE got no 200. */
    record CallerRun(
            int exitCode, int calls, List<String> answeredBy, int byeOk, List<String> byeLostOn, String output) {
        long answeredBy(String ip) {
            return answeredBy.stream().filter(ip::equals).count();
        }

        int answered() {
            return (int) answeredBy.stream().filter(s -> s != null).count();
        }

        /** Calls numbered from {@code fromCall} (1-based) on. */
        List<String> from(int fromCall) {
            return answeredBy.subList(Math.min(fromCall - 1, answeredBy.size()), answeredBy.size());
        }
    }

    /** Runs {@code calls} calls at {@code rate}/s through Kamailio, each held {@code holdMs}; bounded in time. */
    static CallerRun call(Path dir, String name, int localPort, int kamailioPort, int calls, int rate, int holdMs)
            throws IOException, InterruptedException {
        return call(dir, name, "127.0.0.1", localPort, kamailioPort, calls, rate, holdMs);
    }

    /** The same from another local address (a PBX placing calls). */
    static CallerRun call(
            Path dir, String name, String localIp, int localPort, int kamailioPort, int calls, int rate, int holdMs)
            throws IOException, InterruptedException {
        Path log = dir.resolve("uac-" + name + ".log");
        Path out = dir.resolve("uac-" + name + ".out");
        Files.deleteIfExists(log);
        List<String> cmd = List.of(
                "sipp",
                "-sf",
                RealParts.resource("sipp/caller-uac.xml").toString(),
                "-i",
                localIp,
                "-p",
                Integer.toString(localPort),
                "127.0.0.1:" + kamailioPort,
                "-s",
                "1000",
                "-r",
                Integer.toString(rate),
                "-m",
                Integer.toString(calls),
                "-l",
                "500",
                "-d",
                Integer.toString(holdMs),
                "-nostdin",
                "-timeout_error",
                "-timeout",
                (calls / rate + holdMs / 1000 + 30) + "s",
                "-trace_logs",
                "-log_file",
                log.toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        long limit = (long) calls * 1000 / rate + holdMs + 40_000;
        if (!p.waitFor(limit, TimeUnit.MILLISECONDS)) {
            RealParts.stop(p, 1000);
            throw new IllegalStateException("sipp caller " + name + " did not end within " + limit + " ms");
        }
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            answered.add(null);
        }
        int byeOk = 0;
        List<String> byeLost = new ArrayList<>();
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.US_ASCII)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].equals("answered")) {
                    int n = Integer.parseInt(f[1]);
                    if (n >= 1 && n <= calls) {
                        answered.set(n - 1, f[2]);
                    }
                } else if (f.length >= 3 && f[0].equals("byeok")) {
                    byeOk++;
                } else if (f.length >= 3 && f[0].equals("byelost")) {
                    byeLost.add(f[2]);
                }
            }
        }
        return new CallerRun(p.exitValue(), calls, answered, byeOk, byeLost, Files.readString(out));
    }
}
