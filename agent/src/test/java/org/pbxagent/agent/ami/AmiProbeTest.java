package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The resource agents' one-shot AMI probe against the peer that stands in for Asterisk 20. */
class AmiProbeTest {
    private AmiPeer peer;

    @AfterEach
    void tearDown() {
        if (peer != null) {
            peer.close();
        }
    }

    private AmiProbe.Outcome probe(String secret, long budgetMs, boolean calls, String coreStop) {
        AmiProbe p = new AmiProbe(new InetSocketAddress("127.0.0.1", peer.port()), "agent", secret);
        return p.probe(System.nanoTime() + budgetMs * 1_000_000L, calls, coreStop);
    }

    @Test
    void anAnsweringAsteriskIsUpWithItsOwnCallCount() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.setCallsQuietly(4, 2);
        AmiProbe.Outcome o = probe("agentsecret", 3000, true, null);
        assertEquals(AmiProbe.Verdict.UP, o.verdict(), o.detail());
        assertEquals(0, o.verdict().ocfCode);
        assertEquals(4, o.calls(), "calls, not the 8 channels");
        assertTrue(o.fullyBooted());
        awaitNoSession();
    }

    @Test
    void nothingListeningIsNotRunning() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.crash();
        AmiProbe.Outcome o = probe("agentsecret", 3000, false, null);
        assertEquals(AmiProbe.Verdict.REFUSED, o.verdict(), o.detail());
        assertEquals(7, o.verdict().ocfCode);
    }

    @Test
    void aRefusedLoginIsAConfigurationError() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        AmiProbe.Outcome o = probe("wrong", 3000, false, null);
        assertEquals(AmiProbe.Verdict.AUTH_FAILED, o.verdict(), o.detail());
        assertEquals(6, o.verdict().ocfCode);
    }

    @Test
    void aStoppingAsteriskFailsTheMonitorAndIsNotAConfigurationError() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.setCallsQuietly(1);
        peer.beginGracefulStop();
        AmiProbe.Outcome o = probe("agentsecret", 3000, false, null);
        assertEquals(AmiProbe.Verdict.STOPPING, o.verdict(), o.detail());
        assertEquals(1, o.verdict().ocfCode);
        assertTrue(o.detail().contains("Asterisk is shutting down"), o.detail());
    }

    @Test
    void aHungAsteriskFailsWithinTheBudget() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.hang();
        long t0 = System.nanoTime();
        AmiProbe.Outcome o = probe("agentsecret", 1000, false, null);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(AmiProbe.Verdict.NO_ANSWER, o.verdict(), o.detail());
        assertTrue(o.detail().contains("no AMI banner"), o.detail());
        // The budget bounds it; a loaded machine may add scheduling delay, never another timeout.
        assertTrue(ms >= 900 && ms < 4000, "answered after " + ms + " ms with a 1000 ms budget");
    }

    @Test
    void aBootingAsteriskIsUpOnceFullyBootedComes() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.booted(false);
        AmiProbe.Outcome o = probe("agentsecret", 500, false, null);
        assertEquals(AmiProbe.Verdict.NO_ANSWER, o.verdict(), o.detail());
        assertFalse(o.fullyBooted());
        assertTrue(o.detail().contains("no FullyBooted"), o.detail());

        Thread booter = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            peer.booted(true);
        });
        booter.start();
        o = probe("agentsecret", 5000, false, null);
        booter.join();
        assertEquals(AmiProbe.Verdict.UP, o.verdict(), o.detail());
    }

    @Test
    void coreStopIsAskedFor() throws Exception {
        peer = new AmiPeer("agent", "agentsecret").start();
        peer.setCallsQuietly(2);
        AmiProbe.Outcome o = probe("agentsecret", 3000, false, "gracefully");
        assertEquals(AmiProbe.Verdict.UP, o.verdict(), o.detail());
        assertTrue(peer.shuttingDown(), "the stop began");
    }

    private void awaitNoSession() throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (peer.connectedClients() > 0 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(0, peer.connectedClients(), "the probe logged off and closed");
    }
}
