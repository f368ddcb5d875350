package org.pbxagent.agent.ami;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.pbxagent.agent.ami.AmiConnection.AmiException;
import org.pbxagent.fastagi.protocol.AgiText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the local Asterisk in short AMI sessions, one every {@code ami.poll-interval-ms}: connect, banner, Login,
 * {@code Command: core show channels count}, Logoff, close, each step bounded ({@link AmiConnection}).
 *
 * <p>Why short sessions and not one permanent session reading the event stream: while any manager session is logged
 * in, Asterisk formats and queues every event, about 1.7 ms of its CPU per call (+29 % at 100 calls/s on a real
 * Asterisk 20, whatever the session may read; asterisk-20/REAL-BEHAVIOUR.md). A session here is logged in for one
 * exchange, a millisecond or two on loopback, so Asterisk pays that cost well under 1 % of the time. No detection
 * needs the permanent session: each one shows up in the next session, so within one interval (500 ms by default):
 * <ul>
 *   <li>stopping: from the first moment of a {@code core stop} manager.c answers every action, the Login included,
 *       with {@code Asterisk is shutting down}, while the {@code Shutdown} event a permanent session would wait for
 *       comes only at the very end (16 s later with 20 calls up). Unavailable, so the node drains, score 100;</li>
 *   <li>down (crashed or stopped): the connect is refused;</li>
 *   <li>hung: no banner within {@code ami.connect-timeout-ms}, or no answer within {@code ami.reply-timeout-ms};</li>
 *   <li>restarted: the first session that logs in and sees {@code FullyBooted} (manager.c writes it right after the
 *       Login answer once Asterisk has booted).</li>
 * </ul>
 * Counts are Asterisk's own at each session ({@link CallCounts}), not kept from events, so there is nothing to drift
 * and nothing to resync.
 *
 * <p>Threads: one poller runs the sessions and publishes counts and availability into volatile fields, and wakes one
 * notifier thread, which calls the listeners with the latest state. A slow listener therefore only delays later
 * notifications (coalesced), never the sessions.
 */
@SuppressWarnings("NonAtomicVolatileUpdate") // the counters have one writer, the poller; others only read them
public final class AsteriskWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AsteriskWatch.class);

    private record Availability(boolean available, String reason, Instant since, long transitions) {}

    /** manager.c's answer to every action while Asterisk is stopping. */
    static final String SHUTTING_DOWN = AmiConnection.SHUTTING_DOWN;

    /**
     * After a refused Login the next try waits this long at least: the secret is wrong until an operator fixes it,
     * and manager.c spends a second and a log line on each refusal.
     */
    static final int AUTH_RETRY_MS = 5000;

    /** Events a session asks for: FullyBooted and Shutdown are "system"; call events are never needed. */
    private static final String SESSION_EVENTS = "system";

    private final AmiSettings settings;
    private final List<AsteriskStateListener> listeners = new CopyOnWriteArrayList<>();
    private final RateLimitedLog badTraffic = new RateLimitedLog(log, 10_000);
    private final RateLimitedLog downLog = new RateLimitedLog(log, 30_000);
    private final Object sleepLock = new Object();

    private volatile boolean running;
    private volatile AmiConnection connection;
    private Thread poller;
    private Thread notifier;

    private volatile Availability availability = new Availability(false, "not connected yet", Instant.now(), 0);
    private volatile int activeCalls;
    private volatile int activeChannels;
    private volatile boolean dirty;

    // Figures for /status and /metrics; written by the poller thread only.
    private volatile long eventsReceived;
    private volatile long skippedTraffic;
    private volatile long logins;
    private volatile long sessions;
    private volatile long loggedInNanos;
    private volatile long lastReplyRoundTripMicros = -1;

    public AsteriskWatch(AmiSettings settings) {
        this.settings = settings;
    }

    public void addListener(AsteriskStateListener listener) {
        listeners.add(listener);
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        notifier = new Thread(this::notifyLoop, "ami-notify");
        notifier.setDaemon(true);
        notifier.start();
        poller = new Thread(this::pollLoop, "ami-watch");
        poller.setDaemon(true);
        poller.start();
    }

    /** Stops both threads and closes a session in progress; returns within a few seconds at most. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        AmiConnection c = connection;
        if (c != null) {
            c.close();
        }
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
        join(poller);
        LockSupport.unpark(notifier);
        join(notifier);
    }

    @Override
    public void close() {
        stop();
    }

    /** The latest state; cheap, callable from any thread. */
    public AsteriskState current() {
        Availability a = availability;
        return new AsteriskState(a.available, a.reason, activeCalls, activeChannels, a.since, a.transitions);
    }

    /** Events read during the sessions (FullyBooted and other system events). */
    public long eventsReceived() {
        return eventsReceived;
    }

    public long skippedTraffic() {
        return skippedTraffic;
    }

    /** Successful logins since start: one per session that got past the Login. */
    public long logins() {
        return logins;
    }

    /** Sessions attempted since start, whatever their outcome. */
    public long sessions() {
        return sessions;
    }

    /** Time this watch has spent logged in to Asterisk since start, from each Login answer to the Logoff's end. */
    public long loggedInMicros() {
        return loggedInNanos / 1000;
    }

    /** Round trip of the last call-count answer, or -1 if none yet. */
    public long lastReplyRoundTripMicros() {
        return lastReplyRoundTripMicros;
    }

    /** Thread ids of the poller and notifier, for CPU accounting in benchmarks. */
    public long[] threadIds() {
        return new long[] {poller.getId(), notifier.getId()};
    }

    // ---------------------------------------------------------------- poller thread

    private void pollLoop() {
        long interval = TimeUnit.MILLISECONDS.toNanos(settings.pollIntervalMs());
        while (running) {
            long started = System.nanoTime();
            long wait = interval;
            try {
                session();
            } catch (AmiException e) {
                if (!running) {
                    break;
                }
                markUnavailable(e.getMessage());
                if (e.kind() == AmiException.Kind.AUTH_FAILED) {
                    wait = Math.max(interval, TimeUnit.MILLISECONDS.toNanos(AUTH_RETRY_MS));
                }
                downLog.warn("AMI {}:{} unavailable: {}", settings.host(), settings.port(), e.getMessage());
            } catch (RuntimeException e) {
                // A bug must not end the watch: report it and try again at the next interval.
                log.error("AMI session failed unexpectedly", e);
                markUnavailable("internal error: " + e);
            } finally {
                connection = null;
            }
            // One session per interval from each one's start; a session that overran starts the next one at once.
            sleepUntil(started + wait);
        }
        markUnavailable("stopped");
    }

    /** One short session; returns normally when Asterisk is available, throws with the reason otherwise. */
    private void session() throws AmiException {
        sessions++;
        AmiConnection c = AmiConnection.open(
                settings.host(), settings.port(), settings.connectTimeoutMs(), settings.maxLineLength(), this::skipped);
        connection = c;
        try {
            if (!running) {
                throw new AmiException(AmiException.Kind.CLOSED, "stopped");
            }
            c.login(settings.username(), settings.secret(), SESSION_EVENTS, settings.replyTimeoutMs());
            long loggedInAt = System.nanoTime();
            logins++;
            CallCounts counts;
            try {
                long asked = System.nanoTime();
                counts = c.callCounts(settings.replyTimeoutMs());
                lastReplyRoundTripMicros = (System.nanoTime() - asked) / 1000;
            } finally {
                c.logoff(settings.replyTimeoutMs());
                loggedInNanos += System.nanoTime() - loggedInAt;
            }
            publishCounts(counts);
            // FullyBooted, when Asterisk has booted, came between the Login answer and the count's answer.
            if (!c.fullyBooted()) {
                throw new AmiException(AmiException.Kind.GARBLED, "Asterisk not fully booted");
            }
            markAvailable();
        } catch (AmiException e) {
            if (e.kind() == AmiException.Kind.GARBLED && !e.getMessage().equals("Asterisk not fully booted")) {
                badTraffic.warn("AMI: {}", e.getMessage());
            }
            throw e;
        } finally {
            eventsReceived += c.eventsReceived();
            c.close();
        }
    }

    private void sleepUntil(long deadline) {
        synchronized (sleepLock) {
            long left;
            while (running && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(sleepLock, left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void skipped(String what, String sample) {
        skippedTraffic++;
        badTraffic.warn("AMI skipped {}: '{}'", what, AgiText.printable(sample, 80));
    }

    private static void join(Thread t) {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- publication

    private void publishCounts(CallCounts counts) {
        int calls = counts.calls();
        int channels = Math.max(0, counts.channels());
        if (calls != activeCalls || channels != activeChannels) {
            activeCalls = calls;
            activeChannels = channels;
            signal();
        }
    }

    private void markAvailable() {
        Availability a = availability;
        if (a.available) {
            return;
        }
        availability = new Availability(true, "", Instant.now(), a.transitions + 1);
        log.info(
                "AMI: Asterisk available at {}:{}, {} active calls, {} channels",
                settings.host(),
                settings.port(),
                activeCalls,
                activeChannels);
        signal();
    }

    private void markUnavailable(String reason) {
        Availability a = availability;
        if (!a.available && a.reason.equals(reason)) {
            return;
        }
        availability = new Availability(
                false, reason, a.available ? Instant.now() : a.since, a.transitions + (a.available ? 1 : 0));
        if (a.available && running) {
            log.warn("AMI: Asterisk unavailable: {}", reason);
        }
        signal();
    }

    private void signal() {
        dirty = true;
        Thread n = notifier;
        if (n != null) {
            LockSupport.unpark(n);
        }
    }

    private void notifyLoop() {
        AsteriskState last = null;
        while (running || dirty) {
            if (!dirty) {
                LockSupport.parkNanos(100_000_000L);
                continue;
            }
            dirty = false;
            AsteriskState st = current();
            if (st.equals(last)) {
                continue;
            }
            last = st;
            for (AsteriskStateListener l : listeners) {
                try {
                    l.onAsteriskState(st);
                } catch (RuntimeException e) {
                    log.warn("AMI state listener failed", e);
                }
            }
        }
    }
}
