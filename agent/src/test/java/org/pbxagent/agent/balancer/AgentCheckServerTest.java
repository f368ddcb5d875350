package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.load.NodeLoad;

/** HAProxy agent-check: one line per connection, then the server closes; the line follows load and drain state. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentCheckServerTest {

    private static String ask(int port) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(2000);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            String line = in.readLine();
            assertNull(in.readLine(), "the server closes after one line");
            return line;
        }
    }

    @Test
    void linesFollowLoadDrainAndAsteriskState() throws Exception {
        KamailioRpc rpc = new KamailioRpc(null, Duration.ofMillis(200), Duration.ofMillis(500));
        BalancerTarget t = new BalancerTarget(1, "sip:10.0.0.21:5060", "pbxload", "pbx1", Duration.ofSeconds(3));
        // No Kamailio configured: the agent-check face alone.
        try (rpc;
                LoadReporter reporter = new LoadReporter(
                        List.of(), t, rpc, Duration.ofSeconds(5), Duration.ofSeconds(1), Clock.systemUTC());
                DrainController drain =
                        new DrainController(reporter, Duration.ofSeconds(1), true, false, Clock.systemUTC());
                AgentCheckServer server =
                        new AgentCheckServer(InetAddress.getLoopbackAddress(), 0, drain::agentCheckLine)) {
            server.start();
            assertEquals("down#no load sample yet", ask(server.port()));

            reporter.onLoad(new NodeLoad(true, "", 10, 20, 100, 0.2, 0.3, 1, 25, Instant.now()));
            assertEquals("75% ready", ask(server.port()));

            drain.drain("maintenance", false);
            assertEquals("drain", ask(server.port()));
            drain.undrain();
            assertEquals("75% ready", ask(server.port()));

            reporter.onLoad(new NodeLoad(false, "Shutdown, event#1\r\n", 0, 0, 100, 0.2, 0.3, 0, 100, Instant.now()));
            assertEquals("down#Shutdown  event 1", ask(server.port()));
        }
    }
}
