package org.pbxagent.fastagi.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.pbxagent.fastagi.client.ResAgiPeer;

/**
 * Plays Asterisk's side for the benchmarks on one selector thread, each session read as res_agi reads it
 * ({@link ResAgiPeer}: one command per readiness of the socket through a stdio-sized buffer, Nagle left on, the
 * environment and each reply line written on their own, Asterisk's replies). A session is done when the server has
 * closed and every buffered command ran: that is when the dialplan would go on, so its latency is the time the AGI
 * step holds the channel. Closed loop (fixed concurrency), open loop (fixed start rate,
 * latency from the scheduled start so a slow server cannot hide its delay) and hold (many sessions parked on
 * {@code WAIT FOR DIGIT}).
 */
final class AgiLoadClient implements AutoCloseable {
    private final Selector selector;
    private final InetSocketAddress target;
    private final List<byte[]> env;
    private static final byte[] HANGUP = "HANGUP\n".getBytes(StandardCharsets.US_ASCII);

    // Run state.
    private boolean closedLoop;
    private boolean hold;
    private long completions;
    private long errors;
    private long heldCount;
    private long refusedCount;
    private long measureFrom;
    private long measureTo;
    private long[] latencies = new long[1024];
    private long[] firstCommand = new long[1024];
    private int latencyCount;
    private int open;

    private static final class Conn {
        final SocketChannel ch;
        final long scheduled;
        final ResAgiPeer peer = new ResAgiPeer(null, null);
        long firstCommandAt;
        boolean waiting; // hold: parked on WAIT FOR DIGIT
        List<String> parkedReply;

        Conn(SocketChannel ch, long scheduled) {
            this.ch = ch;
            this.scheduled = scheduled;
        }
    }

    /** @param env the environment block, one array per line, as {@code AgiCallClient.environmentLines} gives it */
    AgiLoadClient(int port, List<byte[]> env) throws IOException {
        this.selector = Selector.open();
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        this.env = env;
    }

    @SuppressWarnings("ArrayRecordComponent") // figures to print, never compared or hashed
    record Result(long completions, long errors, double seconds, long[] latenciesNanos, long[] firstCommandNanos) {
        double perSecond() {
            return completions / seconds;
        }
    }

    /** Keeps {@code concurrency} sessions open; counts sessions completed in the measuring window. */
    Result closedLoop(int concurrency, long warmupNanos, long measureNanos) throws IOException {
        reset(true, false);
        long t0 = System.nanoTime();
        measureFrom = t0 + warmupNanos;
        measureTo = measureFrom + measureNanos;
        for (int i = 0; i < concurrency; i++) {
            start(System.nanoTime());
        }
        while (System.nanoTime() < measureTo) {
            pump(10);
        }
        closedLoop = false;
        drain(5_000_000_000L);
        return new Result(completions, errors, measureNanos / 1e9, null, null);
    }

    /** Starts sessions at a fixed rate; latency of every session scheduled in the measuring window. */
    Result openLoop(int perSecond, long warmupNanos, long measureNanos) throws IOException {
        reset(false, false);
        long interval = 1_000_000_000L / perSecond;
        long t0 = System.nanoTime() + 1_000_000;
        measureFrom = t0 + warmupNanos;
        measureTo = measureFrom + measureNanos;
        // A timer thread wakes the selector at each start time: select() alone only has millisecond resolution.
        Thread timer = new Thread(
                () -> {
                    long next = t0;
                    while (next < measureTo) {
                        long d = next - System.nanoTime();
                        if (d > 0) {
                            LockSupport.parkNanos(d);
                        }
                        selector.wakeup();
                        next += interval;
                    }
                },
                "bench-open-loop-timer");
        timer.setDaemon(true);
        timer.start();
        long next = t0;
        while (next < measureTo) {
            long now = System.nanoTime();
            while (next <= now && next < measureTo) {
                start(next);
                next += interval;
            }
            pump(Math.max(1, (next - now) / 1_000_000));
        }
        drain(5_000_000_000L);
        try {
            timer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Result(
                completions,
                errors,
                measureNanos / 1e9,
                Arrays.copyOf(latencies, latencyCount),
                Arrays.copyOf(firstCommand, latencyCount));
    }

    /**
     * Opens {@code n} sessions on a holding script and waits until each is parked on its first command (or was
     * refused); runs {@code whileHeld}; then releases them all and waits for every session to end.
     */
    long[] hold(int n, long timeoutNanos, Runnable whileHeld) throws IOException {
        reset(false, true);
        long deadline = System.nanoTime() + timeoutNanos;
        int started = 0;
        while (started < n && System.nanoTime() < deadline) {
            // Batches below the listen backlog, so no SYN is dropped and retried a second later.
            int batch = Math.min(500, n - started);
            for (int i = 0; i < batch; i++) {
                start(System.nanoTime());
            }
            started += batch;
            while (heldCount + refusedCount + errors < started && System.nanoTime() < deadline) {
                pump(10);
            }
        }
        long held = heldCount;
        long refused = refusedCount;
        whileHeld.run();
        for (SelectionKey k : selector.keys()) {
            Conn c = (Conn) k.attachment();
            if (c != null && c.waiting) {
                c.waiting = false;
                writeReply(c, c.parkedReply);
            }
        }
        drain(timeoutNanos);
        return new long[] {held, refused, completions, errors};
    }

    private void reset(boolean closed, boolean holding) {
        closedLoop = closed;
        hold = holding;
        completions = 0;
        errors = 0;
        totalSessions = 0;
        errorKinds.clear();
        heldCount = 0;
        refusedCount = 0;
        latencyCount = 0;
        measureFrom = Long.MIN_VALUE;
        measureTo = Long.MAX_VALUE;
    }

    private void start(long scheduled) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            // Nagle stays on, as on Asterisk's side (res_agi never sets TCP_NODELAY).
            Conn c = new Conn(ch, scheduled);
            try {
                if (ch.connect(target)) {
                    ch.register(selector, SelectionKey.OP_READ, c);
                    writeEnvironment(ch);
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            open++;
        } catch (IOException e) {
            error("connect: " + e.getMessage());
        }
    }

    private void drain(long timeoutNanos) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (open > 0 && System.nanoTime() < deadline) {
            pump(10);
        }
        for (SelectionKey k : selector.keys()) {
            if (!k.isValid()) {
                continue;
            }
            k.channel().close();
            error("session cut: did not end within the drain time");
        }
        selector.selectNow();
        open = 0;
    }

    private void pump(long timeoutMs) throws IOException {
        selector.select(timeoutMs);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            Conn c = (Conn) k.attachment();
            try {
                if (k.isConnectable()) {
                    c.ch.finishConnect();
                    k.interestOps(SelectionKey.OP_READ);
                    writeEnvironment(c.ch);
                } else if (k.isReadable()) {
                    onReadable(k, c);
                }
            } catch (IOException e) {
                error(e.getClass().getSimpleName() + ": " + e.getMessage());
                finish(k, c, false);
            }
        }
    }

    /** res_agi writes the environment one line per write. */
    private void writeEnvironment(SocketChannel ch) throws IOException {
        for (byte[] l : env) {
            ch.write(ByteBuffer.wrap(l));
        }
    }

    /** One readiness of the socket: one fgets, as res_agi does between its polls. */
    private void onReadable(SelectionKey k, Conn c) throws IOException {
        ResAgiPeer.Read r = c.peer.nextCommand(c.ch);
        if (r == ResAgiPeer.Read.NEED_MORE) {
            return;
        }
        if (r == ResAgiPeer.Read.END) {
            try {
                c.ch.write(ByteBuffer.wrap(HANGUP));
            } catch (IOException e) {
                // the server is gone, as it should be
            }
            finish(k, c, true);
            return;
        }
        String command = c.peer.command();
        List<String> reply = c.peer.reply(command);
        if (c.firstCommandAt == 0) {
            c.firstCommandAt = System.nanoTime();
            if (hold) {
                if (reply == ResAgiPeer.WAIT) {
                    c.waiting = true;
                    c.parkedReply = reply;
                    heldCount++;
                    return; // released later
                }
                refusedCount++;
            }
        }
        writeReply(c, reply);
    }

    /** Each reply line its own write; after the server closed they go nowhere, as in Asterisk. */
    private static void writeReply(Conn c, List<String> reply) {
        if (c.peer.serverClosed()) {
            return;
        }
        for (String l : reply) {
            try {
                c.ch.write(ByteBuffer.wrap((l + "\n").getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Every session that ended, in or out of the measuring window (for CPU per session). */
    long totalSessions;

    private void finish(SelectionKey k, Conn c, boolean ok) throws IOException {
        if (ok) {
            totalSessions++;
        }
        k.cancel();
        c.ch.close();
        open--;
        long now = System.nanoTime();
        boolean inWindow = c.scheduled >= measureFrom && c.scheduled < measureTo;
        if (!ok || c.firstCommandAt == 0) {
            if (ok) {
                error("closed without any command");
            }
        } else if (closedLoop) {
            if (now >= measureFrom && now < measureTo) {
                completions++;
            }
        } else if (inWindow || hold) {
            completions++;
            if (!hold) {
                if (latencyCount == latencies.length) {
                    latencies = Arrays.copyOf(latencies, latencyCount * 2);
                    firstCommand = Arrays.copyOf(firstCommand, latencyCount * 2);
                }
                latencies[latencyCount] = now - c.scheduled;
                firstCommand[latencyCount] = c.firstCommandAt - c.scheduled;
                latencyCount++;
            }
        }
        if (closedLoop && now < measureTo) {
            start(now);
        }
    }

    /** Error kinds with counts, for the report. */
    final java.util.Map<String, Integer> errorKinds = new java.util.TreeMap<>();

    private void error(String kind) {
        errors++;
        errorKinds.merge(kind, 1, Integer::sum);
    }

    @Override
    public void close() throws IOException {
        for (SelectionKey k : selector.keys()) {
            k.channel().close();
        }
        selector.close();
    }
}
