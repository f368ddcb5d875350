package org.pbxagent.fastagi.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread. Every loop registers the shared listening socket, so accepting needs no hand-off between
 * threads; a session then lives on the loop that accepted it. Buffers for reading and writing belong to the loop and
 * are reused by all its sessions (only a partial write keeps bytes of its own).
 */
final class AgiSelectorLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(AgiSelectorLoop.class);
    private static final LogThrottle refusedLog = new LogThrottle(1000);
    private static final LogThrottle acceptLog = new LogThrottle(1000);

    final FastAgiServer server;
    final FastAgiServerSettings settings;
    final Selector selector;
    final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    final byte[] writeArray = new byte[64 * 1024];
    final ByteBuffer writeBuffer = ByteBuffer.wrap(writeArray);
    final long environmentTimeoutNanos;
    final long replyTimeoutNanos;
    private final SelectionKey acceptKey;
    private final Thread thread;
    private final long sweepNanos;
    private long nextSweep;
    private long acceptPausedUntil;
    private boolean acceptPaused;
    private volatile boolean running = true;
    /** Work handed to this loop by other threads (a deferred script's answer); run between selects. */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    AgiSelectorLoop(FastAgiServer server, int index, ServerSocketChannel listener) throws IOException {
        this.server = server;
        this.settings = server.settings();
        this.selector = Selector.open();
        this.environmentTimeoutNanos = settings.environmentTimeout().toNanos();
        this.replyTimeoutNanos = settings.replyTimeout().toNanos();
        // Timeouts are checked by a sweep; a quarter of the shortest one keeps the overshoot small.
        long shortest = Math.min(environmentTimeoutNanos, replyTimeoutNanos);
        this.sweepNanos = Math.max(2_000_000L, Math.min(100_000_000L, shortest / 4));
        this.acceptKey = listener.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this, "fastagi-selector-" + index);
        this.thread.setDaemon(true);
    }

    void startThread() {
        thread.start();
    }

    boolean inLoopThread() {
        return Thread.currentThread() == thread;
    }

    void shutdown() {
        running = false;
        selector.wakeup();
    }

    void join(Duration d) {
        try {
            thread.join(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("FastAGI selector thread {} did not stop within {}", thread.getName(), d);
        }
    }

    @Override
    public void run() {
        nextSweep = System.nanoTime() + sweepNanos;
        try {
            while (running) {
                selector.select(Math.max(1, sweepNanos / 1_000_000));
                if (!running) {
                    break;
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    handle(key);
                }
                runTasks();
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    nextSweep = now + sweepNanos;
                    sweep(now);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("FastAGI selector thread failed; its sessions are cut", e);
        } finally {
            closeAll();
        }
    }

    /** Runs {@code task} on this loop's thread soon; from any thread. Dropped once the loop has stopped. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("FastAGI task on the selector thread failed", e);
            }
        }
    }

    private void handle(SelectionKey key) {
        try {
            if (key == acceptKey) {
                if (key.isAcceptable()) {
                    acceptAll((ServerSocketChannel) key.channel());
                }
                return;
            }
            AgiSession s = (AgiSession) key.attachment();
            if (key.isWritable()) {
                s.onWritable();
            }
            if (key.isValid() && key.isReadable()) {
                s.onReadable();
            }
        } catch (CancelledKeyException e) {
            // The session closed itself while handling an earlier event.
        }
    }

    private void acceptAll(ServerSocketChannel listener) {
        // A bounded batch per wake-up, so a connection flood cannot starve reads on open sessions.
        for (int i = 0; i < 128; i++) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                // Typically out of file descriptors: stop accepting briefly instead of spinning on a ready socket.
                acceptLog.warn(log, "FastAGI accept failed, pausing accept for 50 ms: {}", e.toString());
                acceptKey.interestOps(0);
                acceptPaused = true;
                acceptPausedUntil = System.nanoTime() + 50_000_000L;
                return;
            }
            if (ch == null) {
                return;
            }
            accepted(ch);
        }
    }

    private void accepted(SocketChannel ch) {
        InetAddress remote;
        try {
            remote = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
        } catch (IOException e) {
            closeQuietly(ch);
            return;
        }
        if (!server.allowed(remote)) {
            server.counters.count(SessionCounters.Outcome.REFUSED_BY_ALLOW_LIST);
            refusedLog.warn(
                    log, "FastAGI refused {}: not in {}", remote.getHostAddress(), FastAgiServerSettings.KEY_ALLOW);
            closeQuietly(ch);
            return;
        }
        boolean overload = false;
        if (server.inFlight.incrementAndGet() > settings.maxSessions()) {
            server.inFlight.decrementAndGet();
            if (server.overloadInFlight.incrementAndGet() > settings.maxSessions()) {
                server.overloadInFlight.decrementAndGet();
                server.counters.count(SessionCounters.Outcome.CLOSED_UNANSWERED);
                refusedLog.warn(
                        log,
                        "FastAGI closed a session from {} unanswered: {} sessions open and as many being refused",
                        remote.getHostAddress(),
                        settings.maxSessions());
                closeQuietly(ch);
                return;
            }
            overload = true;
        }
        AgiSession session = new AgiSession(this, ch, overload, System.nanoTime());
        try {
            ch.configureBlocking(false);
            // Each command is one write followed by waiting for its reply: nothing to gain from Nagle.
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            session.key = ch.register(selector, SelectionKey.OP_READ, session);
        } catch (IOException e) {
            session.close(AgiSession.End.PEER_CLOSED, e.toString());
            return;
        }
        if (overload) {
            server.counters.count(SessionCounters.Outcome.REFUSED_BY_OVERLOAD);
            refusedLog.warn(
                    log,
                    "FastAGI over {} ({} sessions open): answering CONGESTION/overload",
                    FastAgiServerSettings.KEY_MAX_SESSIONS,
                    settings.maxSessions());
            session.answerOverload();
        }
    }

    private void sweep(long now) {
        if (acceptPaused && now - acceptPausedUntil >= 0 && acceptKey.isValid()) {
            acceptPaused = false;
            acceptKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        List<AgiSession> expired = null;
        for (SelectionKey k : selector.keys()) {
            Object a = k.attachment();
            if (k.isValid() && a instanceof AgiSession) {
                AgiSession s = (AgiSession) a;
                if (now - s.deadline >= 0) {
                    if (expired == null) {
                        expired = new ArrayList<>();
                    }
                    expired.add(s);
                }
            }
        }
        if (expired != null) {
            for (AgiSession s : expired) {
                s.onTimeout();
            }
        }
    }

    private void closeAll() {
        List<AgiSession> open = new ArrayList<>();
        for (SelectionKey k : selector.keys()) {
            if (k.isValid() && k.attachment() instanceof AgiSession) {
                open.add((AgiSession) k.attachment());
            }
        }
        if (!open.isEmpty()) {
            log.warn("FastAGI closing: cutting {} open sessions", open.size());
        }
        for (AgiSession s : open) {
            s.close(AgiSession.End.CUT, "server closing");
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.warn("FastAGI selector close failed: {}", e.toString());
        }
    }

    static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // Nothing more to do for a socket we are dropping.
        }
    }
}
