package org.pbxagent.fastagi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pbxagent.fastagi.RouteDecision;
import org.pbxagent.fastagi.RouteVariable;
import org.pbxagent.fastagi.client.AgiCallClient;
import org.pbxagent.fastagi.client.AgiCallResult;

/**
 * A deferred script answers when work on another thread is done; meanwhile the selector thread serves every other
 * session. Driven through the res_agi-faithful client, with one selector thread so a stall would show.
 */
class FastAgiServerDeferredTest {
    private FastAgiServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        pool.shutdownNow();
    }

    private static RouteDecision answer(String target) {
        return RouteDecision.builder()
                .set(RouteVariable.TARGET, target)
                .set(RouteVariable.ACTION, "PLAYBACK")
                .build();
    }

    private void serve(Duration replyTimeout, String name, org.pbxagent.fastagi.DeferredScript script)
            throws Exception {
        server = new FastAgiServer(
                FastAgiServerSettings.defaults()
                        .withPort(0)
                        .withSelectorThreads(1)
                        .withReplyTimeout(replyTimeout),
                Map.of("quick", request -> answer("quick")));
        server.registerDeferred(name, script);
        server.start();
    }

    private AgiCallResult call(String script) throws Exception {
        return new AgiCallClient()
                .call("127.0.0.1", server.port(), script, Map.of(), List.of(), Duration.ofSeconds(30));
    }

    @Test
    void aSlowAnswerHoldsOnlyItsOwnSessionAndArrivesWholeInOneRoundTrip() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        serve(
                Duration.ofSeconds(20),
                "slow",
                (request, done) -> pool.execute(() -> {
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.accept(answer("late&" + request.parameter("n")));
                }));
        Future<AgiCallResult> slow = pool.submit(() -> call("slow?n=1"));
        // while the slow one waits, the one selector thread answers other sessions at once
        for (int i = 0; i < 20; i++) {
            AgiCallResult quick = call("quick");
            assertEquals("quick", quick.variable("ROUTE_TARGET"));
        }
        assertTrue(!slow.isDone(), "the slow session is still waiting for its answer");
        release.countDown();
        AgiCallResult r = slow.get(30, TimeUnit.SECONDS);
        assertEquals("late&1", r.variable("ROUTE_TARGET"));
        assertEquals("PLAYBACK", r.variable("ROUTE_ACTION"));
        assertEquals(1, r.roundTrips(), r.commands().toString());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.sessionsServed() < 21 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(21, server.sessionsServed());
    }

    @Test
    void onlyTheFirstAnswerCountsAndAnAnswerOnTheCallersThreadWorksToo() throws Exception {
        serve(Duration.ofSeconds(20), "twice", (request, done) -> {
            done.accept(answer("first"));
            done.accept(answer("second"));
        });
        AgiCallResult r = call("twice");
        assertEquals("first", r.variable("ROUTE_TARGET"));
        assertEquals(1, r.roundTrips());
    }

    @Test
    void noAnswerWithinTheReplyTimeoutClosesTheSessionAndALateAnswerIsDropped() throws Exception {
        CompletableFuture<Consumer<RouteDecision>> pending = new CompletableFuture<>();
        serve(Duration.ofMillis(300), "never", (request, done) -> pending.complete(done));
        AgiCallResult r = call("never");
        assertNull(r.variable("ROUTE_ACTION"), "closed unanswered: the dialplan takes its fallback");
        assertEquals(0, r.roundTrips());
        assertEquals(1, server.sessionsTimedOut());
        pending.get(5, TimeUnit.SECONDS).accept(answer("late"));
        assertEquals("quick", call("quick").variable("ROUTE_TARGET"), "the server goes on after a late answer");
    }

    @Test
    void aScriptThatThrowsOrAnswersNullIsAScriptError() throws Exception {
        serve(Duration.ofSeconds(20), "broken", (request, done) -> {
            if (request.parameter("throw") != null) {
                throw new IllegalStateException("broken on purpose");
            }
            done.accept(null);
        });
        assertEquals("script-error", call("broken?throw=1").variable("ROUTE_REASON"));
        assertEquals("script-error", call("broken").variable("ROUTE_REASON"));
        assertEquals(2, server.sessionsScriptError());
    }
}
