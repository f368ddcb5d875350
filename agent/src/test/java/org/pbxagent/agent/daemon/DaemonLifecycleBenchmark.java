package org.pbxagent.agent.daemon;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pbxagent.agent.db.EmbeddedMariaDb;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;

/**
 * How long the agent takes to come up and to go away, as Pacemaker sees it (start → /health 200; SIGTERM → exit 0
 * with nothing in flight), and what a short CLI call costs with the launcher's fast-start flags versus a plain
 * {@code java -jar} (the OCF agents run one per monitor). The packaged jar runs as a child JVM against a real
 * MariaDB holding the sample routing data. Prints figures; asserts nothing.
 *
 * <pre>
 * mvn -B -o -pl agent -am install -DskipTests
 * mvn -B -o -q -pl agent exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.pbxagent.agent.daemon.DaemonLifecycleBenchmark [-Dexec.args="ROUNDS CLI_RUNS"]
 * </pre>
 */
public final class DaemonLifecycleBenchmark {
    private static final String[] FAST = {
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData", "-Xss512k", "-Xmx128m"
    };
    private static final String[] SERVER = {"-Xms64m", "-Xmx512m", "-XX:+UseG1GC", "-XX:-UsePerfData"};

    private DaemonLifecycleBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int cliRuns = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path jar = Path.of(System.getProperty("pbxagent.jar", "agent/target/pbx-agent.jar"));
        if (!Files.isRegularFile(jar)) {
            jar = Path.of("target/pbx-agent.jar");
        }
        Path work = Files.createTempDirectory("pbx-agent-bench-");
        EmbeddedMariaDb db = EmbeddedMariaDb.start(0, null);
        try {
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(db.jdbcUrl());
            hc.setUsername("root");
            try (HikariDataSource ds = new HikariDataSource(hc)) {
                RoutingSchema.migrate(ds);
                SampleRoutingData.load(ds);
            }
            int httpPort = AgentProcess.freePort();
            Path config = work.resolve("pbx-agent.properties");
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "node.id = bench",
                            "db.url = " + db.jdbcUrl(),
                            "db.user = root",
                            "routing.snapshot-file = " + work.resolve("snapshot.json"),
                            "fastagi.port = " + AgentProcess.freePort(),
                            "http.port = " + httpPort,
                            "http.admin-token = benchmark-token-0123456789",
                            ""));
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(1))
                    .build();
            String health = "http://127.0.0.1:" + httpPort + "/health";
            List<Long> startMs = new ArrayList<>();
            List<Long> stopMs = new ArrayList<>();
            List<Long> fastCli = new ArrayList<>();
            List<Long> plainCli = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                Process p = java(jar, SERVER, work, "run", "--config", config.toString());
                try {
                    waitHealthy(http, health, p);
                    startMs.add((System.nanoTime() - t0) / 1_000_000);
                    if (r == 0) {
                        for (int i = 0; i < cliRuns; i++) {
                            fastCli.add(timeCli(jar, FAST, work, httpPort));
                            plainCli.add(timeCli(jar, new String[0], work, httpPort));
                        }
                    }
                    long t1 = System.nanoTime();
                    p.destroy();
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("agent did not stop within 60 s");
                    }
                    stopMs.add((System.nanoTime() - t1) / 1_000_000);
                    if (p.exitValue() != 0) {
                        throw new IllegalStateException("agent exited " + p.exitValue());
                    }
                } finally {
                    if (p.isAlive()) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
            }
            System.out.printf(
                    "machine: %d cores, Java %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            System.out.printf("run → /health 200 (ms, %d rounds): %s%n", rounds, summary(startMs));
            System.out.printf("SIGTERM → exit 0, idle (ms, %d rounds): %s%n", rounds, summary(stopMs));
            System.out.printf("`status` with launcher fast-start flags (ms, %d runs): %s%n", cliRuns, summary(fastCli));
            System.out.printf("`status` with plain java -jar (ms, %d runs): %s%n", cliRuns, summary(plainCli));
        } finally {
            db.close();
            EmbeddedMariaDb.deleteTree(work);
        }
    }

    private static Process java(Path jar, String[] flags, Path work, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Collections.addAll(cmd, flags);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        Collections.addAll(cmd, args);
        return new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(work.resolve("stderr.txt").toFile())
                .start();
    }

    private static long timeCli(Path jar, String[] flags, Path work, int httpPort) throws Exception {
        long t = System.nanoTime();
        Process p = java(jar, flags, work, "status", "--quiet", "--url", "http://127.0.0.1:" + httpPort);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("status did not report ready");
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    private static void waitHealthy(HttpClient http, String url, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("agent exited " + p.exitValue());
            }
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(1))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("agent not healthy within 120 s");
    }

    private static String summary(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return "min " + s.get(0) + ", median " + s.get(s.size() / 2) + ", max " + s.get(s.size() - 1);
    }
}
