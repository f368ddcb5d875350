package org.pbxagent.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.http.Json;
import org.pbxagent.agent.http.StatusSummary;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.HealthCheck;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;

/**
 * The daemon's watch of the shared storage on a real loop-mounted ext4 image: what /status, the page's storage
 * tile and /metrics say before the mount, with it, and after it is gone; the scrape passes {@code promtool}.
 */
class StorageWatchIT {
    @TempDir
    Path dir;

    private final ProcessCommandRunner runner = new ProcessCommandRunner();
    private String loop;

    private String ok(String... argv) {
        CommandResult r = runner.run(BoundedCommand.of(Duration.ofSeconds(30), argv));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + r.reason());
        }
        return r.stdout();
    }

    @BeforeEach
    void image() {
        Path img = dir.resolve("shared.img");
        ok("truncate", "-s", "32M", img.toString());
        ok("mkfs.ext4", "-q", "-L", "pbxshared", img.toString());
        loop = ok("losetup", "--find", "--show", img.toString()).strip();
    }

    @AfterEach
    void detach() {
        runner.run(BoundedCommand.of(
                Duration.ofSeconds(10), "umount", dir.resolve("shared").toString()));
        runner.run(BoundedCommand.of(Duration.ofSeconds(10), "losetup", "-d", loop));
    }

    @Test
    void statusPageAndMetricsFollowTheSharedMount() throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx1");
        v.put("db.url", "jdbc:mysql://127.0.0.1:3306/pbx");
        v.put("db.user", "pbx");
        v.put("http.admin-token", "storage-watch-token-2f81c4");
        v.put("storage.device", loop);
        v.put("storage.mount-point", dir.resolve("shared").toString());
        v.put("storage.fs-type", "ext4");
        v.put("storage.label", "pbxshared");
        v.put("storage.probe-budget-ms", "5000");
        AgentConfig config = ConfigSections.from(v);
        TestRuntime rt = new TestRuntime(config);
        new StorageModule().install(rt);
        assertEquals(StorageModule.PERIOD, rt.period);
        String where = dir.resolve("shared") + " from " + loop;

        assertEquals("not probed yet (" + where + ")", summary(rt), "before the first probe");
        assertFalse(rt.meters.scrape().contains("pbxagent_storage_healthy "), "no sample before the first probe");

        rt.probe.run();
        assertEquals("not mounted (" + where + ")", summary(rt));
        String scrape = rt.meters.scrape();
        assertTrue(scrape.contains("pbxagent_storage_healthy 0"), scrape);
        assertTrue(scrape.contains("pbxagent_storage_probes_total{result=\"not_mounted\"} 1"), scrape);
        assertFalse(scrape.contains("pbxagent_storage_last_healthy_probe_timestamp_seconds "), scrape);
        assertTrue(rt.health.get("storage").check().reason().contains("not mounted"), "a note on /health");

        StorageNode.from(config).mount.mount();
        rt.probe.run();
        assertEquals("healthy (" + where + ")", summary(rt));
        scrape = rt.meters.scrape();
        assertTrue(scrape.contains("pbxagent_storage_healthy 1"), scrape);
        assertTrue(scrape.contains("pbxagent_storage_probes_total{result=\"healthy\"} 1"), scrape);
        assertTrue(scrape.contains("pbxagent_storage_last_healthy_probe_timestamp_seconds "), scrape);
        assertTrue(scrape.contains("pbxagent_storage_probe_duration_seconds_count 2"), scrape);
        assertEquals("", rt.health.get("storage").check().reason());
        promtool(scrape);

        ok("umount", dir.resolve("shared").toString());
        rt.probe.run();
        assertEquals("not mounted (" + where + ")", summary(rt));
        assertTrue(rt.meters.scrape().contains("pbxagent_storage_healthy 0"));
        assertTrue(
                rt.meters.scrape().contains("pbxagent_storage_last_healthy_probe_timestamp_seconds "),
                "the last healthy probe is still known");
    }

    @Test
    void aStorageSectionTheWatchCannotUseIsReportedAndTheDaemonServesOn() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("node.id", "pbx1");
        v.put("db.url", "jdbc:mysql://127.0.0.1:3306/pbx");
        v.put("db.user", "pbx");
        v.put("http.admin-token", "storage-watch-token-2f81c4");
        v.put("storage.mount-point", dir.resolve("shared").toString());
        TestRuntime rt = new TestRuntime(ConfigSections.from(v));
        new StorageModule().install(rt);
        assertTrue(summary(rt).startsWith("not watched: ") && summary(rt).contains("storage.device"), summary(rt));
        assertTrue(rt.health.get("storage").check().ok());
        assertEquals(null, rt.probe, "nothing to probe");
    }

    /** The storage tile's text, as the status page and {@code pbx-agent status} show it. */
    private static String summary(TestRuntime rt) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("node", Map.of("id", "pbx1", "state", "running"));
        doc.put("storage", rt.status.get("storage").get());
        JsonNode tree = Json.mapper().valueToTree(doc);
        return StatusSummary.of(tree, Instant.now()).path("storage").asText();
    }

    private static void promtool(String scrape) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.strip(), scrape);
    }

    /** The daemon's side of a module, recording what the storage module registers. */
    private static final class TestRuntime implements AgentRuntime {
        final AgentConfig config;
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final Map<String, Supplier<?>> status = new LinkedHashMap<>();
        final Map<String, HealthCheck> health = new LinkedHashMap<>();
        Runnable probe;
        Duration period;

        TestRuntime(AgentConfig config) {
            this.config = config;
        }

        @Override
        public AgentConfig config() {
            return config;
        }

        @Override
        public DataSource dataSource() {
            throw new UnsupportedOperationException("storage needs no DB");
        }

        @Override
        public MeterRegistry meters() {
            return meters;
        }

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public void manage(AgentComponent component) {
            throw new UnsupportedOperationException("storage runs on the local scheduler");
        }

        @Override
        public void status(String section, Supplier<?> supplier) {
            status.put(section, supplier);
        }

        @Override
        public void health(String name, HealthCheck check) {
            health.put(name, check);
        }

        @Override
        public void drainSwitch(DrainSwitch control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public DrainSwitch drainSwitch() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void everyLocal(String name, Duration period, Runnable task) {
            assertEquals("storage-probe", name);
            this.period = period;
            this.probe = task;
        }

        @Override
        public Optional<Integer> fastAgiPort() {
            return Optional.empty();
        }

        @Override
        public int fastAgiSessionsInFlight() {
            return 0;
        }
    }
}
