package org.pbxagent.agent.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.pbxagent.agent.ami.AmiPeer;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.config.SectionType;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.AgentRuntime;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.HealthCheck;

/** The ami.* and load.* sections as the daemon reads them, and the module's start, status, metrics and stop. */
class LoadModuleTest {
    private static final List<SectionType<?>> SECTIONS = ConfigSections.ALL.stream()
            .filter(t -> t.prefix().equals("ami") || t.prefix().equals("load"))
            .toList();

    private static AgentConfig config(Map<String, String> values) {
        return AgentConfig.from(values, null, SECTIONS);
    }

    @Test
    void amiIsOffUnlessEnabledAndLoadHasDefaults() {
        AgentConfig c = config(Map.of());
        assertFalse(c.has(AmiSettings.class));
        LoadSettings l = c.section(LoadSettings.class);
        assertEquals(1000, l.intervalMs());
        assertEquals(200, l.maxCalls());
        assertEquals(0.90, l.cpuFull(), 1e-9);
        assertEquals(
                List.of(50, 80, 95),
                java.util.Arrays.stream(l.thresholds()).boxed().toList());
        // check-config prints the section: the thresholds as numbers, never an array identity such as [I@5ed828d.
        assertTrue(l.toString().contains("thresholds=50,80,95 "), l.toString());
        assertEquals(LoadSettings.defaults(l.maxCalls()).withIntervalMs(l.intervalMs()), l);
    }

    @Test
    void badValuesAreReportedNamingEachKey() {
        Map<String, String> v = new HashMap<>();
        v.put("ami.enabled", "true");
        v.put("ami.port", "99999");
        v.put("ami.poll-interval-ms", "5");
        v.put("load.max-calls", "0");
        v.put("load.thresholds", "50,lots");
        v.put("load.cpu-ful-percent", "80");
        ConfigException e = assertThrows(ConfigException.class, () -> config(v));
        String all = String.join("\n", e.problems());
        for (String key : List.of(
                "ami.port",
                "ami.poll-interval-ms",
                "ami.username",
                "ami.secret",
                "load.max-calls",
                "load.thresholds",
                "load.cpu-ful-percent")) {
            assertTrue(all.contains(key), key + " named in:\n" + all);
        }
    }

    @Test
    void keysOfThePermanentSessionAreUnknownAndSecretIsMasked() {
        Map<String, String> v = new HashMap<>(Map.of(
                "ami.enabled",
                "true",
                "ami.username",
                "agent",
                "ami.secret",
                "s3cr3t-value",
                "ami.ping-interval-ms",
                "500",
                "ami.backoff-max-ms",
                "1000"));
        ConfigException e = assertThrows(ConfigException.class, () -> config(v));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("ami.ping-interval-ms: unknown key"), all);
        assertTrue(all.contains("ami.backoff-max-ms: unknown key"), all);
        v.remove("ami.ping-interval-ms");
        v.remove("ami.backoff-max-ms");
        AgentConfig c = config(v);
        assertEquals("s3cr3t-value", c.section(AmiSettings.class).secret());
        assertFalse(c.toString().contains("s3cr3t-value"), c.toString());
    }

    @Test
    void installsStartsReportsAndStops() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start()) {
            peer.setCallsQuietly(7);
            AgentConfig c = config(Map.of(
                    "ami.enabled",
                    "true",
                    "ami.port",
                    String.valueOf(peer.port()),
                    "ami.username",
                    "agent",
                    "ami.secret",
                    "agentsecret",
                    "load.interval-ms",
                    "100",
                    "load.max-calls",
                    "10"));
            TestRuntime rt = new TestRuntime(c);
            LoadModule module = new LoadModule();
            List<NodeLoad> seen = new CopyOnWriteArrayList<>();
            module.addListener(seen::add); // before install, as the balancer module does
            module.install(rt);
            assertEquals(
                    List.of("load-monitor", "ami-watch"),
                    rt.components.stream().map(AgentComponent::name).toList());
            for (AgentComponent comp : rt.components) {
                comp.start();
            }
            try {
                await(() -> seen.stream().anyMatch(l -> l.asteriskAvailable() && l.activeCalls() == 7));
                NodeLoad l = (NodeLoad) rt.status.get("load").get();
                assertTrue(l.score() >= 70, "7 of 10 calls: " + l.score());
                @SuppressWarnings("unchecked")
                Map<String, Object> ami =
                        (Map<String, Object>) rt.status.get("ami").get();
                assertEquals(true, ami.get("available"));
                assertEquals(7, ami.get("active_calls"));
                // Short sessions: the watch's own account of them, in /status and /metrics.
                assertTrue(((Number) ami.get("logins")).longValue() >= 1, ami.toString());
                assertTrue(
                        ((Number) ami.get("sessions")).longValue() >= ((Number) ami.get("logins")).longValue(),
                        ami.toString());
                assertTrue(((Number) ami.get("logged_in_ms")).doubleValue() > 0, ami.toString());
                assertTrue(rt.meters
                                .get("pbxagent_ami_logged_in_seconds")
                                .functionCounter()
                                .count()
                        > 0);
                assertFalse(ami.toString().contains("agentsecret"));
                assertEquals(
                        7.0,
                        rt.meters.get("pbxagent_asterisk_active_calls").gauge().value());
                assertEquals(
                        1.0,
                        rt.meters.get("pbxagent_asterisk_available").gauge().value());
                assertEquals("", rt.health.get("asterisk").check().reason());
            } finally {
                for (int i = rt.components.size() - 1; i >= 0; i--) {
                    rt.components.get(i).close();
                }
            }
            await(() -> peer.connectedClients() == 0);
            assertEquals("stopped", module.watch().orElseThrow().current().reason());
        }
    }

    private static void await(BooleanSupplier p) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            if (p.getAsBoolean()) {
                return;
            }
            Thread.sleep(10);
        }
        fail("timed out");
    }

    /** Records what the module registers, like the daemon does, without a DB or HTTP server. */
    private static final class TestRuntime implements AgentRuntime {
        final AgentConfig config;
        final MeterRegistry meters = new SimpleMeterRegistry();
        final List<AgentComponent> components = new ArrayList<>();
        final Map<String, Supplier<?>> status = new LinkedHashMap<>();
        final Map<String, HealthCheck> health = new LinkedHashMap<>();

        TestRuntime(AgentConfig config) {
            this.config = config;
        }

        @Override
        public AgentConfig config() {
            return config;
        }

        @Override
        public DataSource dataSource() {
            throw new UnsupportedOperationException("the load module needs no DB");
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
            components.add(component);
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
            throw new UnsupportedOperationException("the load module does not drain");
        }

        @Override
        public DrainSwitch drainSwitch() {
            throw new UnsupportedOperationException("the load module does not drain");
        }

        @Override
        public void everyLocal(String name, Duration period, Runnable task) {
            throw new UnsupportedOperationException("the load module schedules its own sampling");
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
