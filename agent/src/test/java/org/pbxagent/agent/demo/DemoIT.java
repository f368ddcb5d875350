package org.pbxagent.agent.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.daemon.AgentProcess;

/** The README's first command, run as a user runs it: the packaged jar, a child JVM, a real embedded MariaDB. */
class DemoIT {
    @TempDir
    Path dir;

    @Test
    void demoOncePrintsTheSampleCallsDecisionAndExitsZero() throws Exception {
        try (AgentProcess p = AgentProcess.start(dir, "demo", "--once", "--fastagi-port", "0", "--http-port", "0")) {
            int code = p.waitFor(Duration.ofSeconds(120));
            String out = p.stdout();
            assertEquals(0, code, "stdout:\n" + out + "\nstderr:\n" + p.stderr());
            assertTrue(out.contains("route?tenant=hosted-alpha&did=4930555200"), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("\\s*ROUTE_ACTION\\s+= DIAL")), out);
            assertTrue(
                    out.lines().anyMatch(l -> l.matches("\\s*ROUTE_TARGET\\s+= PJSIP/alpha-100&PJSIP/alpha-102")), out);
            assertTrue(out.contains("/status") && out.contains("/metrics") && out.contains("Admin token:"), out);
            assertFalse(p.stderr().contains("Exception"), p.stderr());
        }
        // Its temporary directories (embedded DB, snapshot) are gone.
        try (var left = Files.list(AgentProcess.tmpDir(dir))) {
            assertEquals(
                    List.of(),
                    left.map(f -> f.getFileName().toString())
                            .filter(n -> n.startsWith("pbx-agent-"))
                            .toList());
        }
    }

    @Test
    void theEmbeddedMariaDbEndsWhenTheAgentIsKilled() throws Exception {
        try (AgentProcess p = AgentProcess.start(dir, "demo", "--fastagi-port", "0", "--http-port", "0")) {
            p.awaitOutput("Admin token:", Duration.ofSeconds(180));
            String mark = AgentProcess.tmpDir(dir).toString();
            List<ProcessHandle> servers = ProcessHandle.of(p.pid())
                    .orElseThrow()
                    .descendants()
                    .filter(ph -> ph.info()
                            .commandLine()
                            .map(c -> c.contains("mariadbd") && c.contains(mark))
                            .orElse(false))
                    .toList();
            assertEquals(1, servers.size(), "one embedded mariadbd under the demo");
            // SIGKILL: no shutdown hook runs, nothing in the JVM gets a chance to stop the server.
            ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
            ProcessHandle server = servers.get(0);
            try {
                server.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("mariadbd outlived the killed agent by 60 s", e);
            } finally {
                server.destroyForcibly();
            }
        }
    }

    @Test
    void takenPortIsRefusedAtOnceNamingWhatToChange() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                AgentProcess p = AgentProcess.start(
                        dir,
                        "demo",
                        "--once",
                        "--fastagi-port",
                        Integer.toString(taken.getLocalPort()),
                        "--http-port",
                        "0")) {
            assertEquals(2, p.waitFor(Duration.ofSeconds(30)));
            assertTrue(p.stderr().contains("127.0.0.1:" + taken.getLocalPort() + " is already in use"), p.stderr());
            assertTrue(p.stderr().contains("fastagi.port"), p.stderr());
        }
    }
}
