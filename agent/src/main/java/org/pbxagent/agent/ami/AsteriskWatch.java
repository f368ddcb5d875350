package org.pbxagent.agent.ami;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the local Asterisk over one AMI connection: login, Ping with a reply deadline, reconnect with backoff and
 * jitter, a resync of the truth after every login ({@code CoreShowChannels} and
 * {@code Command: core show channels count}) and call/channel counts kept current from Newchannel/Hangup between
 * resyncs. {@code Event: Shutdown}, a lost connection or an unanswered Ping mark Asterisk unavailable at once.
 *
 * <p>Threads: one reader owns the socket and all protocol state (no locks on the event path); it publishes the
 * counts and availability into volatile fields and wakes one notifier thread, which calls the listeners with the
 * latest state. A slow listener therefore only delays later notifications (coalesced), never the reader.
 */
public final class AsteriskWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AsteriskWatch.class);

    private record Availability(boolean available, String reason, Instant since, long transitions) {}

    /** A session ends with this: the message becomes the unavailable reason. */
    private static final class SessionEnded extends IOException {
        SessionEnded(String reason) {
            super(reason, null);
        }
    }

    private final AmiSettings settings;
    private final List<AsteriskStateListener> listeners = new CopyOnWriteArrayList<>();
    private final RateLimitedLog badTraffic = new RateLimitedLog(log, 10_000);
    private final RateLimitedLog connectLog = new RateLimitedLog(log, 30_000);
    private final Object sleepLock = new Object();

    private volatile boolean running;
    private volatile Socket socket;
    private Thread reader;
    private Thread notifier;

    private volatile Availability availability = new Availability(false, "not connected yet", Instant.now(), 0);
    private volatile int activeCalls;
    private volatile int activeChannels;
    private volatile boolean dirty;

    // Figures for /status and /metrics; written by the reader thread only.
    private volatile long eventsReceived;
    private volatile long skippedTraffic;
    private volatile long logins;
    private volatile long lastPingRoundTripMicros = -1;

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
        reader = new Thread(this::readerLoop, "ami-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Stops both threads and closes the connection; returns within a few seconds at most. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        closeSocket();
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
        join(reader);
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

    public long eventsReceived() {
        return eventsReceived;
    }

    public long skippedTraffic() {
        return skippedTraffic;
    }

    /** Successful logins since start; more than one means reconnects happened. */
    public long logins() {
        return logins;
    }

    /** Round trip of the last answered Ping, or -1 if none yet. */
    public long lastPingRoundTripMicros() {
        return lastPingRoundTripMicros;
    }

    /** Thread ids of the reader and notifier, for CPU accounting in benchmarks. */
    public long[] threadIds() {
        return new long[] {reader.getId(), notifier.getId()};
    }

    // ---------------------------------------------------------------- reader thread

    private void readerLoop() {
        Backoff backoff = new Backoff(settings.backoffInitialMs(), settings.backoffMaxMs());
        while (running) {
            String reason;
            try {
                session(backoff);
                reason = "connection closed by Asterisk";
            } catch (SessionEnded e) {
                reason = e.getMessage();
            } catch (java.net.ConnectException e) {
                reason = "cannot connect to " + settings.host() + ":" + settings.port() + ": " + e.getMessage();
            } catch (SocketTimeoutException e) {
                reason = "timeout connecting to " + settings.host() + ":" + settings.port();
            } catch (IOException e) {
                reason = "connection lost: " + e.getMessage();
            } catch (RuntimeException e) {
                // A bug must not end the watch: report it and reconnect like any other failure.
                log.error("AMI session failed unexpectedly", e);
                reason = "internal error: " + e;
            }
            closeSocket();
            if (!running) {
                break;
            }
            markUnavailable(reason);
            long delay = backoff.nextDelayMs();
            connectLog.warn("AMI {}:{} unavailable: {}; reconnect attempt {} in {} ms", settings.host(),
                    settings.port(), reason, backoff.attempts(), delay);
            sleep(delay);
        }
        markUnavailable("stopped");
    }

    private void sleep(long ms) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        synchronized (sleepLock) {
            long left;
            while (running && (left = end - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(sleepLock, left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Connection state, owned by the reader thread. */
    private String loginId;
    private long loginDeadline;
    private String pingId;
    private long pingSentAt;
    private long nextPingAt;
    private String cscId;
    private long cscDeadline;
    private String cmdId;
    private long cmdDeadline;
    private long nextResyncAt;
    private boolean loggedIn;
    private boolean fullyBooted;
    private boolean resynced;
    private int callsOffset;
    private ChannelTable table = new ChannelTable();
    private ChannelTable building;
    private long actionSeq;
    private OutputStream out;

    private void session(Backoff backoff) throws IOException {
        resetSessionState();
        Socket s = new Socket();
        socket = s;
        if (!running) {
            throw new SessionEnded("stopped");
        }
        s.connect(new InetSocketAddress(settings.host(), settings.port()), settings.connectTimeoutMs());
        s.setTcpNoDelay(true);
        // A short read timeout is the reader's clock: Ping and deadlines are checked on every tick.
        int tick = Math.max(20, Math.min(250, Math.min(settings.pingIntervalMs(), settings.pingTimeoutMs()) / 4));
        s.setSoTimeout(tick);
        out = s.getOutputStream();
        AmiFrameReader in = new AmiFrameReader(s.getInputStream(), settings.maxLineLength(), this::skipped);

        long bannerDeadline = System.nanoTime() + ms(settings.connectTimeoutMs());
        String banner = null;
        while (banner == null) {
            try {
                banner = in.readLine();
                if (banner == null) {
                    throw new SessionEnded("connection closed before the AMI banner");
                }
            } catch (SocketTimeoutException e) {
                if (!running) {
                    throw new SessionEnded("stopped");
                }
                if (System.nanoTime() - bannerDeadline > 0) {
                    throw new SessionEnded("no AMI banner within " + settings.connectTimeoutMs() + " ms");
                }
            }
        }
        if (!banner.startsWith("Asterisk Call Manager/")) {
            throw new SessionEnded("unexpected banner: " + printable(banner));
        }
        loginId = nextId("login");
        loginDeadline = System.nanoTime() + ms(settings.connectTimeoutMs());
        // Events: only the classes this watch reads (FullyBooted/Shutdown are "system", channels are "call").
        send("Action: Login\r\nUsername: " + settings.username() + "\r\nSecret: " + settings.secret()
                + "\r\nEvents: system,call\r\nActionID: " + loginId + "\r\n\r\n");

        while (running) {
            AmiMessage m;
            try {
                m = in.next();
                if (m == null) {
                    throw new SessionEnded("connection closed by Asterisk");
                }
            } catch (SocketTimeoutException e) {
                m = null;
            }
            long now = System.nanoTime();
            if (m != null) {
                handle(m, now, backoff);
            }
            checkTimers(now);
        }
        throw new SessionEnded("stopped");
    }

    private void resetSessionState() {
        loginId = null;
        pingId = null;
        pingSentAt = 0;
        cscId = null;
        cmdId = null;
        loggedIn = false;
        fullyBooted = false;
        resynced = false;
        building = null;
        out = null;
    }

    private void handle(AmiMessage m, long now, Backoff backoff) throws IOException {
        if (m.isEvent()) {
            eventsReceived++;
            handleEvent(m, now, backoff);
            return;
        }
        if (!m.isResponse()) {
            skipped("message that is neither Response nor Event", m.size() == 0 ? "" : printable(m.toString()));
            return;
        }
        String id = m.get("ActionID");
        boolean success = "Success".equalsIgnoreCase(m.kind());
        if (id == null) {
            skipped("response without ActionID", printable(m.toString()));
        } else if (id.equals(loginId)) {
            loginId = null;
            if (!success) {
                throw new SessionEnded("authentication failed");
            }
            loggedIn = true;
            logins++;
            log.info("AMI logged in to {}:{} as {}", settings.host(), settings.port(), settings.username());
            nextPingAt = now + ms(settings.pingIntervalMs());
            startResync(now);
        } else if (id.equals(pingId)) {
            lastPingRoundTripMicros = (now - pingSentAt) / 1000;
            pingId = null;
            pingSentAt = 0;
            nextPingAt = now + ms(settings.pingIntervalMs());
        } else if (id.equals(cscId)) {
            if (success) {
                building = new ChannelTable();
            } else {
                badTraffic.warn("AMI CoreShowChannels refused: {} (check the manager user's permissions)",
                        m.get("Message"));
                cscId = null;
                resyncStep(now, backoff);
            }
        } else if (id.equals(cmdId)) {
            cmdId = null;
            Integer calls = success ? activeCallsFrom(m.getAll("Output")) : null;
            if (calls == null) {
                badTraffic.warn("AMI 'core show channels count' gave no call count: {}", printable(m.toString()));
            } else {
                callsOffset = calls - table.calls();
                publishCounts();
            }
            resyncStep(now, backoff);
        } else {
            skipped("response to an unknown ActionID", id);
        }
    }

    private void handleEvent(AmiMessage m, long now, Backoff backoff) throws IOException {
        switch (m.kind()) {
            case "Newchannel" -> {
                String u = m.get("Uniqueid");
                String l = m.get("Linkedid");
                table.add(u, l);
                if (building != null) {
                    building.add(u, l);
                }
                publishCounts();
            }
            case "Hangup" -> {
                String u = m.get("Uniqueid");
                table.remove(u);
                if (building != null) {
                    building.remove(u);
                }
                publishCounts();
            }
            case "CoreShowChannel" -> {
                if (building != null && cscId != null && cscId.equals(m.get("ActionID"))) {
                    building.add(m.get("Uniqueid"), m.get("Linkedid"));
                }
            }
            case "CoreShowChannelsComplete" -> {
                if (building != null && cscId != null && cscId.equals(m.get("ActionID"))) {
                    table = building;
                    building = null;
                    cscId = null;
                    publishCounts();
                    resyncStep(now, backoff);
                }
            }
            case "FullyBooted" -> {
                fullyBooted = true;
                resyncStep(now, backoff);
            }
            case "Shutdown" -> throw new SessionEnded("Asterisk shut down (Shutdown: " + m.get("Shutdown")
                    + ", Restart: " + m.get("Restart") + ")");
            default -> {
                // Other events (Newstate, DeviceStateChange, ...) carry nothing the counts need.
            }
        }
    }

    /** Parses "N active calls" from the Output lines of {@code core show channels count}. */
    static Integer activeCallsFrom(List<String> output) {
        for (String line : output) {
            int sp = line.indexOf(' ');
            if (sp > 0 && line.startsWith(" active call", sp)) {
                try {
                    return Integer.parseInt(line.substring(0, sp));
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private void startResync(long now) throws IOException {
        cscId = nextId("csc");
        cscDeadline = now + ms(settings.actionTimeoutMs());
        cmdId = nextId("cmd");
        cmdDeadline = cscDeadline;
        // Both pipelined: manager.c answers in order, so the count is taken after the channel list.
        send("Action: CoreShowChannels\r\nActionID: " + cscId + "\r\n\r\n"
                + "Action: Command\r\nCommand: core show channels count\r\nActionID: " + cmdId + "\r\n\r\n");
        nextResyncAt = now + ms(settings.resyncIntervalMs());
    }

    private void resyncStep(long now, Backoff backoff) {
        if (cscId == null && cmdId == null && loggedIn) {
            resynced = true;
        }
        if (loggedIn && fullyBooted && resynced && !availability.available) {
            backoff.reset();
            markAvailable();
        } else if (loggedIn && !fullyBooted && resynced && !availability.reason.equals("Asterisk not fully booted")) {
            markUnavailable("Asterisk not fully booted");
        }
    }

    private void checkTimers(long now) throws IOException {
        if (loginId != null && now - loginDeadline > 0) {
            throw new SessionEnded("no reply to Login within " + settings.connectTimeoutMs() + " ms");
        }
        if (!loggedIn) {
            return;
        }
        if (pingId != null && now - pingSentAt > ms(settings.pingTimeoutMs())) {
            throw new SessionEnded("no reply to Ping within " + settings.pingTimeoutMs() + " ms");
        }
        if (pingId == null && now - nextPingAt >= 0) {
            pingId = nextId("ping");
            pingSentAt = now;
            send("Action: Ping\r\nActionID: " + pingId + "\r\n\r\n");
        }
        if (cscId != null && now - cscDeadline > 0) {
            throw new SessionEnded("no reply to CoreShowChannels within " + settings.actionTimeoutMs() + " ms");
        }
        if (cmdId != null && now - cmdDeadline > 0) {
            throw new SessionEnded("no reply to Command within " + settings.actionTimeoutMs() + " ms");
        }
        if (resynced && cscId == null && cmdId == null && now - nextResyncAt >= 0) {
            startResync(now);
        }
    }

    /*
     * Writes happen on the reader thread without their own timeout. They cannot block in practice: the watch sends
     * about one small action per second, and a peer that stops reading stops answering too, so the Ping deadline
     * closes the connection seconds before the kernel's socket buffers could fill.
     */
    private void send(String action) throws IOException {
        out.write(action.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String nextId(String what) {
        return "pbxagent-" + what + "-" + (++actionSeq);
    }

    private void skipped(String what, String sample) {
        skippedTraffic++;
        badTraffic.warn("AMI skipped {}: '{}'", what, printable(sample));
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 80));
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    private void closeSocket() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a broken socket: nothing left to do
            }
        }
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

    private void publishCounts() {
        int calls = Math.max(0, table.calls() + callsOffset);
        int channels = table.channels();
        if (calls != activeCalls || channels != activeChannels) {
            activeCalls = calls;
            activeChannels = channels;
            signal();
        }
    }

    private void markAvailable() {
        Availability a = availability;
        availability = new Availability(true, "", Instant.now(), a.transitions + 1);
        log.info("AMI: Asterisk available, {} active calls, {} channels", activeCalls, activeChannels);
        signal();
    }

    private void markUnavailable(String reason) {
        Availability a = availability;
        if (!a.available && a.reason.equals(reason)) {
            return;
        }
        availability = new Availability(false, reason, a.available ? Instant.now() : a.since,
                a.transitions + (a.available ? 1 : 0));
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
