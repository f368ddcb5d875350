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
import org.pbxagent.agent.lifecycle.AgentProcess;

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
            assertTrue(out.contains("route?tenant=acme&did=100"), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("\\s*ROUTE_ACTION\\s+= DIAL")), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("\\s*ROUTE_TARGET\\s+= SIP/1001")), out);
            assertTrue(out.contains("/status") && out.contains("/metrics") && out.contains("Admin token:"), out);
            assertFalse(p.stderr().contains("Exception"), p.stderr());
        }
        // Its temporary directories (embedded DB, snapshot) are gone.
        try (var left = Files.list(AgentProcess.tmpDir(dir))) {
            assertEquals(List.of(), left.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("pbx-agent-")).toList());
        }
    }

    @Test
    void takenPortIsRefusedAtOnceNamingWhatToChange() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             AgentProcess p = AgentProcess.start(dir, "demo", "--once", "--fastagi-port",
                     Integer.toString(taken.getLocalPort()), "--http-port", "0")) {
            assertEquals(2, p.waitFor(Duration.ofSeconds(30)));
            assertTrue(p.stderr().contains("127.0.0.1:" + taken.getLocalPort() + " is already in use"), p.stderr());
            assertTrue(p.stderr().contains("fastagi.port"), p.stderr());
        }
    }

}
