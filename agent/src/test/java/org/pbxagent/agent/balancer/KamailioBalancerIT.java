package org.pbxagent.agent.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.module.DrainState;

/**
 * The scenarios against real parts: Kamailio 5.6 running the shipped kamailio.cfg, two SIPp PBX stand-ins on
 * 127.0.0.2 and 127.0.0.3, SIPp callers, and the real LoadReporter + DrainController of each PBX pushing from the
 * PBX's own address. Where calls land is read from the callers' logs (the Contact of the PBX that answered).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KamailioBalancerIT {
    private static final String PBX1 = "127.0.0.2";
    private static final String PBX2 = "127.0.0.3";
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private static Path dir;
    private static KamailioProcess kamailio;
    private static Sipp.Uas uas1;
    private static Sipp.Uas uas2;
    private static BalancerAgent agent1;
    private static BalancerAgent agent2;
    private static KamailioRpc probe;

    @BeforeAll
    static void startRealParts() throws Exception {
        dir = Files.createTempDirectory("balancer-it");
        int pbxPort = RealParts.freePort(PBX1, PBX2);
        uas1 = new Sipp.Uas(dir, PBX1, pbxPort);
        uas2 = new Sipp.Uas(dir, PBX2, pbxPort);
        uas1.start();
        uas2.start();
        kamailio = new KamailioProcess(
                dir, RealParts.freePort("127.0.0.1"), RealParts.freePort("127.0.0.1"), List.of(uas1.uri(), uas2.uri()));
        probe = KamailioProcess.probeFrom(PBX2);
        kamailio.start();
        List<URI> urls = List.of(kamailio.rpcUrl());
        agent1 = new BalancerAgent(PBX1, uas1.uri(), urls, INTERVAL);
        agent2 = new BalancerAgent(PBX2, uas2.uri(), urls, INTERVAL);
    }

    @AfterAll
    static void stopRealParts() {
        for (AutoCloseable c : new AutoCloseable[] {agent1, agent2, probe}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // Next one.
            }
        }
        if (kamailio != null) {
            kamailio.close();
        }
        if (uas1 != null) {
            uas1.close();
        }
        if (uas2 != null) {
            uas2.close();
        }
        RealParts.deleteTree(dir);
    }

    /** Both PBXs up, in rotation, with equal fresh scores, as Kamailio sees it. */
    @BeforeEach
    void baseline() throws Exception {
        // Whatever a failed test left stopped is started again, so that its failure is its own.
        if (!kamailio.alive()) {
            kamailio.start();
        }
        if (!uas1.alive()) {
            uas1.start();
        }
        agent1.drain.undrain();
        agent2.drain.undrain();
        agent1.asterisk(true, "");
        agent2.asterisk(true, "");
        agent1.load(30);
        agent2.load(30);
        await("both PBXs active with score 30", 10_000, () -> {
            Map<String, String> f = flags();
            return f.get(uas1.uri()).startsWith("A")
                    && f.get(uas2.uri()).startsWith("A")
                    && Integer.valueOf(30).equals(score(uas1.uri()))
                    && Integer.valueOf(30).equals(score(uas2.uri()));
        });
    }

    @Test
    @Order(1)
    void equalLoadSplitsCallsAboutEvenly() throws Exception {
        Sipp.CallerRun run = Sipp.call(dir, "equal", uacPort(), kamailio.sipPort, 100, 50, 100);

        assertEquals(0, run.exitCode(), "every call set up and ended: " + run.output());
        assertEquals(100, run.answered());
        long on1 = run.answeredBy(PBX1);
        long on2 = run.answeredBy(PBX2);
        System.out.printf("equal load: PBX1 %d, PBX2 %d of 100%n", on1, on2);
        assertTrue(on1 >= 35 && on1 <= 65, "PBX1 took " + on1 + " of 100");
        assertTrue(on2 >= 35 && on2 <= 65, "PBX2 took " + on2 + " of 100");

        Map<String, Object> status = agent1.reporter.status().get(0);
        assertEquals(true, status.get("reachable"), status.toString());
        assertEquals("ok", status.get("last_result"), status.toString());
        assertNotNull(status.get("last_push_at"));
    }

    @Test
    @Order(2)
    void highLoadOnPbx1MovesNewCallsToPbx2WithinTwoSeconds() throws Exception {
        int rate = 25;
        CompletableFuture<Sipp.CallerRun> running = callAsync("high-load", 150, rate, 100);
        Thread.sleep(1000);
        agent1.load(90);
        Sipp.CallerRun run = running.get(60, TimeUnit.SECONDS);

        assertEquals(0, run.exitCode(), run.output());
        assertEquals(150, run.answered());
        // Calls sent more than 2 s after the change (change at ~1 s, rate 25/s: from call 76 on).
        List<String> late = run.from(1 + 3 * rate);
        long toPbx2 = late.stream().filter(PBX2::equals).count();
        System.out.printf(
                "PBX1 at 90, PBX2 at 30: %d of %d later calls on PBX2; before the change PBX1 took %d of %d%n",
                toPbx2,
                late.size(),
                run.answeredBy().subList(0, rate).stream().filter(PBX1::equals).count(),
                rate);
        assertTrue(toPbx2 >= 0.8 * late.size(), toPbx2 + " of " + late.size() + " went to PBX2");
        assertTrue(run.answeredBy().subList(0, rate).contains(PBX1), "before the change PBX1 took calls too");
    }

    @Test
    @Order(3)
    void drainStopsNewCallsFromTheNextInviteAndCallsInProgressComplete() throws Exception {
        // Long calls, all set up before the drain; some of them are on PBX1.
        CompletableFuture<Sipp.CallerRun> inProgress = callAsync("before-drain", 40, 20, 5000);
        Thread.sleep(2800);

        DrainState state = agent1.drain.drain("maintenance", false);
        assertTrue(state.drained(), state.toString());
        assertEquals("maintenance", state.reason());
        assertTrue(flags().get(uas1.uri()).startsWith("D"), "Kamailio holds PBX1 as disabled: " + flags());
        assertEquals("drain", agent1.drain.agentCheckLine());

        Sipp.CallerRun after = Sipp.call(dir, "after-drain", uacPort(), kamailio.sipPort, 40, 20, 100);
        assertEquals(0, after.exitCode(), after.output());
        assertEquals(40, after.answered());
        assertEquals(0, after.answeredBy(PBX1), "no new call reaches a drained PBX, from the first INVITE on");

        Sipp.CallerRun before = inProgress.get(60, TimeUnit.SECONDS);
        assertEquals(0, before.exitCode(), before.output());
        assertEquals(40, before.answered());
        assertTrue(before.answeredBy(PBX1) > 0, "some calls were up on PBX1 when it was drained");
        assertEquals(40, before.byeOk(), "every call in progress ended normally, those on PBX1 included");

        agent1.drain.undrain();
        assertTrue(flags().get(uas1.uri()).startsWith("A"), flags().toString());
        Sipp.CallerRun again = Sipp.call(dir, "after-undrain", uacPort(), kamailio.sipPort, 40, 20, 100);
        assertEquals(0, again.exitCode(), again.output());
        System.out.printf(
                "drain: %d of 40 calls on PBX1 while drained; %d of 40 after undrain; "
                        + "%d of 40 long calls were on PBX1 and ended normally%n",
                after.answeredBy(PBX1), again.answeredBy(PBX1), before.answeredBy(PBX1));
        assertTrue(again.answeredBy(PBX1) >= 12, "PBX1 takes calls again: " + again.answeredBy(PBX1));
    }

    @Test
    @Order(4)
    void asteriskFailureDrainsAutomaticallyButNeverTheLastActivePbx() throws Exception {
        agent1.asterisk(false, "manager connection lost");
        await("PBX1 drained automatically", 5000, () -> flags().get(uas1.uri()).startsWith("D"));
        assertEquals("down#manager connection lost", agent1.drain.agentCheckLine());
        assertTrue(agent1.drain.state().drained());

        // PBX2 is now the only active destination: an unforced drain of it is refused, a forced one is not.
        DrainState refused = agent2.drain.drain("maintenance", false);
        assertFalse(refused.drained(), refused.toString());
        assertTrue(
                String.valueOf(refused.details().get("refused")).contains("no other active destination"),
                refused.details().toString());
        assertTrue(flags().get(uas2.uri()).startsWith("A"));
        DrainState forced = agent2.drain.drain("maintenance", true);
        assertTrue(forced.drained());
        assertTrue(flags().get(uas2.uri()).startsWith("D"));
        agent2.drain.undrain();

        // Healthy again: automatic undrain.
        agent1.asterisk(true, "");
        await("PBX1 back in rotation", 5000, () -> flags().get(uas1.uri()).startsWith("A"));
        assertEquals("70% ready", agent1.drain.agentCheckLine());

        // An operator drain is never undone by Asterisk recovering.
        agent1.drain.drain("maintenance", false);
        agent1.asterisk(false, "shutdown");
        Thread.sleep(300);
        agent1.asterisk(true, "");
        Thread.sleep(2 * INTERVAL.toMillis());
        assertTrue(flags().get(uas1.uri()).startsWith("D"), flags().toString());
        assertTrue(agent1.drain.state().drained());
        assertEquals("maintenance", agent1.drain.state().reason());
    }

    @Test
    @Order(5)
    void restartedKamailioGetsTheAgentsStateBackWithinOnePushInterval() throws Exception {
        agent1.drain.drain("maintenance", false);
        agent2.load(40);
        await("state before restart", 5000, () -> Integer.valueOf(40).equals(score(uas2.uri())));

        kamailio.stop();
        Thread.sleep(500);
        kamailio.start();
        long answeredAt = System.nanoTime();
        // Right after the restart Kamailio knows only its list file.
        await(
                "drain and score back",
                5000,
                () -> flags().get(uas1.uri()).startsWith("D")
                        && Integer.valueOf(40).equals(score(uas2.uri())));
        long ms = (System.nanoTime() - answeredAt) / 1_000_000;
        System.out.printf("kamailio restart: agent state back %d ms after its JSON-RPC answered%n", ms);
        assertTrue(ms <= INTERVAL.toMillis() + 500, "state back after " + ms + " ms");
    }

    @Test
    @Order(6)
    void deadPbxSipSideFailsOverWithNoFailedCallSetup() throws Exception {
        CompletableFuture<Sipp.CallerRun> running = callAsync("pbx1-dies", 100, 20, 1000);
        Thread.sleep(2000);
        uas1.kill();
        long killedAt = System.nanoTime();
        await("PBX1 marked inactive", 5000, () -> flags().get(uas1.uri()).startsWith("I"));
        long inactiveMs = (System.nanoTime() - killedAt) / 1_000_000;

        Sipp.CallerRun run = running.get(90, TimeUnit.SECONDS);
        System.out.printf(
                "PBX1 SIP dead: inactive after %d ms; %d of 100 calls set up (PBX1 %d, PBX2 %d); "
                        + "%d calls already up on PBX1 lost their BYE%n",
                inactiveMs,
                run.answered(),
                run.answeredBy(PBX1),
                run.answeredBy(PBX2),
                run.byeLostOn().size());
        assertEquals(100, run.answered(), "no failed call setup seen by the caller: " + run.output());
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.byeLostOn().stream().allMatch(PBX1::equals), "only calls up on the dead PBX are lost");
        assertTrue(
                inactiveMs <= 2000, "PBX1 inactive after " + inactiveMs + " ms (keepalive every 1 s, 500 ms timeout)");
        // The agent's periodic re-sends (every 2 s here) never override the keepalive's verdict.
        assertTrue((System.nanoTime() - killedAt) / 1_000_000 > 3000);
        assertTrue(flags().get(uas1.uri()).startsWith("I"), "still inactive: " + flags());
    }

    @Test
    @Order(7)
    void kamailioAnswersAreTurnedIntoClearResults() throws Exception {
        try (KamailioRpc fromElsewhere = KamailioProcess.probeFrom("127.0.0.1")) {
            RpcResult r = fromElsewhere.list(kamailio.rpcUrl()).get();
            assertEquals(RpcResult.Outcome.HTTP_ERROR, r.outcome(), r.toString());
            assertEquals(403, r.httpStatus(), "the agent endpoint answers only the PBX addresses");
        }
        // A PBX speaks only for its own destination: not one outside the set, not its own host on another port.
        for (String node : List.of("sip:127.0.0.9:5060", "sip:" + PBX2 + ":" + (kamailio.sipPort + 1), uas1.uri())) {
            RpcResult refused = probe.state(kamailio.rpcUrl(), node, true).get();
            assertEquals(RpcResult.Outcome.HTTP_ERROR, refused.outcome(), node + ": " + refused);
            assertEquals(403, refused.httpStatus(), node);
        }
        // (Active or, if the keepalive just missed a ping, inactive: never disabled.)
        assertFalse(flags().get(uas1.uri()).startsWith("D"), "PBX2 did not drain PBX1: " + flags());
        assertTrue(probe.list(kamailio.rpcUrl()).get().ok());
        // A call placed by a PBX is not balanced back to the PBXs (that would loop).
        Sipp.CallerRun fromPbx =
                Sipp.call(dir, "from-pbx", PBX1, RealParts.freePort(PBX1), kamailio.sipPort, 2, 10, 100);
        assertEquals(0, fromPbx.answered(), fromPbx.output());
        assertTrue(fromPbx.output().contains("404"), fromPbx.output());

        RpcResult wrongPath = probe.list(URI.create("http://127.0.0.1:" + kamailio.rpcPort + "/other"))
                .get();
        assertEquals(RpcResult.Outcome.HTTP_ERROR, wrongPath.outcome());
        assertEquals(404, wrongPath.httpStatus());
        RpcResult down = probe.list(URI.create("http://127.0.0.1:" + RealParts.freePort("127.0.0.1") + "/pbx"))
                .get();
        assertEquals(RpcResult.Outcome.UNREACHABLE, down.outcome(), down.toString());
    }

    @Test
    @Order(8)
    void hungKamailioDoesNotDelayPushesToTheOther() throws Exception {
        Path dir2 = Files.createDirectories(dir.resolve("second"));
        try (KamailioProcess second = new KamailioProcess(
                        dir2, RealParts.freePort("127.0.0.1"), RealParts.freePort("127.0.0.1"), kamailio.pbxUris);
                KamailioRpc rpc = KamailioProcess.probeFrom(PBX1)) {
            second.start();
            BalancerTarget t = new BalancerTarget(1, uas1.uri(), "pbxload", uas1.uri(), Duration.ofSeconds(3));
            try (LoadReporter both = new LoadReporter(
                    List.of(second.rpcUrl(), kamailio.rpcUrl()),
                    t,
                    rpc,
                    Duration.ofSeconds(5),
                    INTERVAL,
                    java.time.Clock.systemUTC())) {
                both.start();
                both.onLoad(sample(20));
                await(
                        "both have 20",
                        3000,
                        () -> Integer.valueOf(20).equals(second.score(uas1.uri()))
                                && Integer.valueOf(20).equals(score(uas1.uri())));

                // The second Kamailio hangs (every process stopped): its request waits for the 1 s timeout.
                second.signal("STOP");
                try {
                    long t0 = System.nanoTime();
                    both.onLoad(sample(55));
                    await(
                            "the running Kamailio has 55",
                            3000,
                            () -> Integer.valueOf(55).equals(score(uas1.uri())));
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.printf("hung second Kamailio: first one had the new score after %d ms%n", ms);
                    assertTrue(ms < 900, "the push to the running Kamailio waited " + ms + " ms");
                    await(
                            "the hung one is reported",
                            5000,
                            () -> !both.status()
                                    .get(0)
                                    .get("last_error")
                                    .toString()
                                    .isEmpty());
                    String err = String.valueOf(both.status().get(0).get("last_error"));
                    assertTrue(err.contains("timeout") || err.contains("unreachable"), err);
                } finally {
                    second.signal("CONT");
                }
                both.onLoad(sample(56));
                await(
                        "the second catches up after it wakes",
                        5000,
                        () -> Integer.valueOf(56).equals(second.score(uas1.uri())));
            }
        }
    }

    private static org.pbxagent.agent.load.NodeLoad sample(int score) {
        return new org.pbxagent.agent.load.NodeLoad(true, "", 1, 2, 100, 0.1, 0.2, 0, score, java.time.Instant.now());
    }

    private static CompletableFuture<Sipp.CallerRun> callAsync(String name, int calls, int rate, int holdMs)
            throws Exception {
        int port = uacPort();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Sipp.call(dir, name, port, kamailio.sipPort, calls, rate, holdMs);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static int uacPort() throws Exception {
        return RealParts.freePort("127.0.0.1");
    }

    private static Map<String, String> flags() throws Exception {
        return kamailio.flags();
    }

    private static Integer score(String uri) throws Exception {
        return kamailio.score(uri);
    }

    private static void await(String what, long limitMs, RealParts.Check check) throws Exception {
        RealParts.await(what, limitMs, check, () -> "; flags " + safeFlags());
    }

    private static String safeFlags() {
        try {
            return flags().toString();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
