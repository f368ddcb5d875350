package org.pbxagent.fastagi.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.locks.LockSupport;

/**
 * Plays Asterisk's side for the benchmarks on one selector thread: connects, sends a recorded-style environment
 * block, answers every command line with {@code 200 result=1} (all lines that arrived together in one write), and
 * counts a session as done when the server closes. Closed loop (fixed concurrency), open loop (fixed start rate,
 * latency from the scheduled start so a slow server cannot hide its delay) and hold (many sessions parked on
 * {@code WAIT FOR DIGIT}).
 */
final class AgiLoadClient implements AutoCloseable {
    private final Selector selector;
    private final InetSocketAddress target;
    private final byte[] env;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer[] replies = new ByteBuffer[65];
    private final ByteBuffer waitReply = ByteBuffer.wrap("200 result=0\n".getBytes(StandardCharsets.US_ASCII));

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

    private final class Conn {
        final SocketChannel ch;
        final long scheduled;
        long firstCommandAt;
        boolean waiting; // hold: parked on WAIT FOR DIGIT

        Conn(SocketChannel ch, long scheduled) {
            this.ch = ch;
            this.scheduled = scheduled;
        }
    }

    AgiLoadClient(int port, byte[] env) throws IOException {
        this.selector = Selector.open();
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        this.env = env;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < replies.length; i++) {
            replies[i] = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII));
            sb.append("200 result=1\n");
        }
    }

    record Result(long completions, long errors, double seconds, long[] latenciesNanos, long[] firstCommandNanos) {
        double perSecond() { return completions / seconds; }
    }

    /** Keeps {@code concurrency} sessions open; counts sessions completed in the measuring window. */
    Result closedLoop(int concurrency, long warmupNanos, long measureNanos) throws IOException {
        reset(true, false);
        long t0 = System.nanoTime();
        measureFrom = t0 + warmupNanos;
        measureTo = measureFrom + measureNanos;
        for (int i = 0; i < concurrency; i++) start(System.nanoTime());
        while (System.nanoTime() < measureTo) pump(10);
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
        Thread timer = new Thread(() -> {
            long next = t0;
            while (next < measureTo) {
                long d = next - System.nanoTime();
                if (d > 0) LockSupport.parkNanos(d);
                selector.wakeup();
                next += interval;
            }
        }, "bench-open-loop-timer");
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
        return new Result(completions, errors, measureNanos / 1e9, Arrays.copyOf(latencies, latencyCount),
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
            for (int i = 0; i < batch; i++) start(System.nanoTime());
            started += batch;
            while (heldCount + refusedCount + errors < started && System.nanoTime() < deadline) pump(10);
        }
        long held = heldCount;
        long refused = refusedCount;
        whileHeld.run();
        for (SelectionKey k : selector.keys()) {
            Conn c = (Conn) k.attachment();
            if (c != null && c.waiting) {
                c.waiting = false;
                waitReply.clear();
                c.ch.write(waitReply);
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
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch, scheduled);
            try {
                if (ch.connect(target)) {
                    ch.register(selector, SelectionKey.OP_READ, c);
                    ch.write(ByteBuffer.wrap(env));
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
        while (open > 0 && System.nanoTime() < deadline) pump(10);
        for (SelectionKey k : selector.keys()) {
            if (!k.isValid()) continue;
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
                    c.ch.write(ByteBuffer.wrap(env));
                } else if (k.isReadable()) {
                    onReadable(k, c);
                }
            } catch (IOException e) {
                error(e.getClass().getSimpleName() + ": " + e.getMessage());
                finish(k, c, false);
            }
        }
    }

    private void onReadable(SelectionKey k, Conn c) throws IOException {
        readBuffer.clear();
        int n = c.ch.read(readBuffer);
        if (n < 0) {
            finish(k, c, true);
            return;
        }
        byte[] a = readBuffer.array();
        int lines = 0;
        for (int i = 0; i < n; i++) if (a[i] == '\n') lines++;
        if (lines == 0) return;
        if (c.firstCommandAt == 0) {
            c.firstCommandAt = System.nanoTime();
            if (hold) {
                if (a[0] == 'W') {
                    c.waiting = true;
                    heldCount++;
                    return; // released later
                }
                refusedCount++;
            }
        }
        ByteBuffer r = replies[Math.min(lines, replies.length - 1)];
        r.clear();
        c.ch.write(r);
    }

    /** Every session that ended, in or out of the measuring window (for CPU per session). */
    long totalSessions;

    private void finish(SelectionKey k, Conn c, boolean ok) throws IOException {
        if (ok) totalSessions++;
        k.cancel();
        c.ch.close();
        open--;
        long now = System.nanoTime();
        boolean inWindow = c.scheduled >= measureFrom && c.scheduled < measureTo;
        if (!ok || c.firstCommandAt == 0 && !closedLoopNoCommandsOk()) {
            if (ok) error("closed without any command");
        } else if (closedLoop) {
            if (now >= measureFrom && now < measureTo) completions++;
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
        if (closedLoop && now < measureTo) start(now);
    }

    /** Error kinds with counts, for the report. */
    final java.util.Map<String, Integer> errorKinds = new java.util.TreeMap<>();

    private void error(String kind) {
        errors++;
        errorKinds.merge(kind, 1, Integer::sum);
    }

    /** asterisk-java's do-nothing script sends no command at all: its sessions end with the close alone. */
    boolean acceptNoCommands;

    private boolean closedLoopNoCommandsOk() { return acceptNoCommands; }

    @Override
    public void close() throws IOException {
        for (SelectionKey k : selector.keys()) k.channel().close();
        selector.close();
    }
}
