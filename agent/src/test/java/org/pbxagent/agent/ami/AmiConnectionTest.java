package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pbxagent.agent.ami.AmiConnection.AmiException;

/** The one AMI codec against the peer: what each ending of an exchange is called. */
class AmiConnectionTest {
    private final List<String> skipped = new ArrayList<>();

    private AmiConnection open(AmiPeer peer) throws AmiException {
        return AmiConnection.open("127.0.0.1", peer.port(), 2000, 4096, (what, sample) -> skipped.add(what));
    }

    @Test
    void aShortSessionReadsTheCountsAndSeesFullyBooted() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                AmiConnection c = open(peer)) {
            peer.setCallsQuietly(3, 2);
            c.login("agent", "agentsecret", "system", 2000);
            assertEquals(new CallCounts(3, 6), c.callCounts(2000));
            assertTrue(c.fullyBooted(), "FullyBooted came between the Login answer and the count's");
            c.logoff(2000);
            assertEquals(0, peer.connectedClients() > 0 ? awaitClosed(peer) : 0);
            assertTrue(skipped.isEmpty(), skipped.toString());
        }
    }

    @Test
    void theShutdownEventEndsTheExchange() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                AmiConnection c = open(peer)) {
            c.login("agent", "agentsecret", "system", 2000);
            peer.shutdown();
            AmiException e = assertThrows(AmiException.class, () -> c.callCounts(2000));
            assertEquals(AmiException.Kind.CLOSED, e.kind());
            assertEquals("Asterisk shut down (Shutdown: Cleanly, Restart: False)", e.getMessage());
        }
    }

    @Test
    void aStoppingAsteriskRefusesEvenTheLogin() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                AmiConnection c = open(peer)) {
            peer.setCallsQuietly(1);
            peer.beginGracefulStop();
            AmiException e = assertThrows(AmiException.class, () -> c.login("agent", "agentsecret", "system", 2000));
            assertEquals(AmiException.Kind.SHUTTING_DOWN, e.kind());
            assertEquals("Asterisk is shutting down", e.getMessage());
        }
    }

    @Test
    void eventsOffGetsNoFullyBootedAndAnUnknownCommandGivesNoCount() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                AmiConnection c = open(peer)) {
            c.login("agent", "agentsecret", "off", 2000);
            // Asterisk answers an unknown CLI command with Success and a "No such command" line.
            List<String> out = c.command("core show nothing", 2000);
            assertEquals(1, out.size(), out.toString());
            assertTrue(out.get(0).startsWith("No such command 'core show nothing'"), out.toString());
            assertEquals(null, CallCounts.parse(out));
            assertFalse(c.fullyBooted(), "a session with Events: off gets no FullyBooted");
        }
    }

    @Test
    void aLineEndInAHeaderIsNeverSent() throws Exception {
        try (AmiPeer peer = new AmiPeer("agent", "agentsecret").start();
                AmiConnection c = open(peer)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> c.login("agent", "x\r\nAction: Originate", "system", 2000));
            assertEquals("Secret must not contain a line end", e.getMessage());
            assertEquals(0, peer.actionsReceived());
        }
    }

    private static int awaitClosed(AmiPeer peer) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (peer.connectedClients() > 0 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return peer.connectedClients();
    }
}
