package org.pbxagent.agent.balancer;

import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pbxagent.agent.load.NodeLoad;

/**
 * The balancer side of one PBX's agent: the real {@link LoadReporter} and {@link DrainController}, fed with
 * {@link NodeLoad} samples every interval the way the load monitor publishes them, from the PBX's own address.
 */
final class BalancerAgent implements AutoCloseable {
    final String pbxUri;
    final KamailioRpc rpc;
    final LoadReporter reporter;
    final DrainController drain;
    private final ScheduledExecutorService publisher;
    private volatile int score = 30;
    private volatile boolean available = true;
    private volatile String reason = "";

    @SuppressWarnings("FutureReturnValueIgnored") // a test publisher, ended by shutdownNow at close
    BalancerAgent(String sourceAddress, String pbxUri, List<URI> kamailios, Duration interval) throws Exception {
        this.pbxUri = pbxUri;
        rpc = new KamailioRpc(InetAddress.getByName(sourceAddress), Duration.ofMillis(500), Duration.ofMillis(1000));
        BalancerTarget target = new BalancerTarget(1, pbxUri, "pbxload", pbxUri, interval.multipliedBy(3));
        reporter = new LoadReporter(kamailios, target, rpc, Duration.ofSeconds(2), interval, Clock.systemUTC());
        drain = new DrainController(reporter, Duration.ofMillis(1500), true, false, Clock.systemUTC());
        reporter.start();
        publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "test-load-" + sourceAddress);
            t.setDaemon(true);
            return t;
        });
        publisher.scheduleAtFixedRate(this::publish, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sets the load and publishes it at once, as the load monitor does on a state change. */
    void load(int newScore) {
        score = newScore;
        publisher.execute(this::publish);
    }

    void asterisk(boolean up, String why) {
        available = up;
        reason = up ? "" : why;
        publisher.execute(this::publish);
    }

    private void publish() {
        int s = available ? score : 100;
        NodeLoad l = new NodeLoad(available, reason, s / 2, s, 200, 0.1, 0.3, 0, s, Instant.now());
        reporter.onLoad(l);
        drain.onLoad(l);
    }

    @Override
    public void close() {
        publisher.shutdownNow();
        drain.close();
        reporter.close();
        rpc.close();
    }
}
