package org.pbxagent.fastagi.server;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.pbxagent.fastagi.DecisionScript;
import org.pbxagent.fastagi.DeferredScript;
import org.pbxagent.fastagi.RouteDecision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FastAGI server: Asterisk connects for each {@code AGI(agi://host:port/script?query,args)}, sends the environment
 * block, and the named script answers. Every session talks lock-step, one command then its reply, as res_agi
 * needs. A {@link DecisionScript}'s answer goes out as one {@code EXEC MSet} command (one round trip); an
 * {@link AgiScript} talks in several steps. A few selector threads (no thread per session) hold all sessions.
 *
 * <p>Faults get a bounded wait, a log line and, where Asterisk can still act on it, an answer the static dialplan
 * understands: {@link RouteDecision#UNKNOWN_SCRIPT}, {@link RouteDecision#OVERLOAD} above {@code maxSessions} (so
 * the proxy fails the call over to another PBX), {@link RouteDecision#SCRIPT_ERROR} when a script throws.
 */
public final class FastAgiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FastAgiServer.class);

    private final FastAgiServerSettings settings;
    private final Map<String, DecisionScript> decisionScripts;
    private final Map<String, AgiScript> agiScripts = new HashMap<>();
    private final Map<String, DeferredScript> deferredScripts = new HashMap<>();
    private final List<CidrBlock> allow = new ArrayList<>();

    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger overloadInFlight = new AtomicInteger();
    final SessionCounters counters = new SessionCounters();

    private ServerSocketChannel listener;
    private AgiSelectorLoop[] loops;
    private volatile boolean closed;
    private volatile int boundPort = -1;

    /**
     * @param settings validated here
     * @param scripts  decision scripts by name (the path of {@code agi_network_script}), e.g. "route"
     */
    public FastAgiServer(FastAgiServerSettings settings, Map<String, DecisionScript> scripts) {
        this.settings = settings.validate();
        this.decisionScripts = Map.copyOf(scripts);
        allow.addAll(settings.allow());
    }

    /** Adds a multi-step script under a name; before {@link #start()} only. */
    public synchronized FastAgiServer register(String name, AgiScript script) {
        if (loops != null) {
            throw new IllegalStateException("register scripts before start()");
        }
        if (decisionScripts.containsKey(name)) {
            throw new IllegalArgumentException("script name already used: " + name);
        }
        agiScripts.put(name, script);
        return this;
    }

    /** Adds a script that answers once work off the selector thread is done; before {@link #start()} only. */
    public synchronized FastAgiServer registerDeferred(String name, DeferredScript script) {
        if (loops != null) {
            throw new IllegalStateException("register scripts before start()");
        }
        if (decisionScripts.containsKey(name) || agiScripts.containsKey(name)) {
            throw new IllegalArgumentException("script name already used: " + name);
        }
        deferredScripts.put(name, script);
        return this;
    }

    /**
     * Binds and starts the selector threads.
     *
     * @throws IOException naming address:port when the port is taken or the address is not local
     */
    public synchronized void start() throws IOException {
        if (loops != null) {
            throw new IllegalStateException("already started");
        }
        if (closed) {
            throw new IllegalStateException("closed");
        }
        InetSocketAddress address =
                new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port());
        String where = settings.bindAddress() + ":" + settings.port();
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.configureBlocking(false);
            ch.bind(address, 1024);
        } catch (BindException e) {
            ch.close();
            throw new BindException("FastAGI cannot listen on " + where + ": " + e.getMessage());
        } catch (IOException e) {
            ch.close();
            throw new IOException("FastAGI cannot listen on " + where + ": " + e.getMessage(), e);
        }
        listener = ch;
        boundPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        AgiSelectorLoop[] ls = new AgiSelectorLoop[settings.selectorThreads()];
        try {
            for (int i = 0; i < ls.length; i++) {
                ls[i] = new AgiSelectorLoop(this, i, ch);
            }
        } catch (IOException e) {
            for (AgiSelectorLoop l : ls) {
                if (l != null) {
                    l.shutdown();
                }
            }
            ch.close();
            throw new IOException("FastAGI cannot open selectors for " + where + ": " + e.getMessage(), e);
        }
        loops = ls;
        for (AgiSelectorLoop l : ls) {
            l.startThread();
        }
        log.info(
                "FastAGI listening on {}:{} (scripts {}, {})",
                settings.bindAddress(),
                port(),
                decisionScripts.keySet(),
                settings);
    }

    /** The bound port (the ephemeral one when settings ask for port 0). */
    public int port() {
        return boundPort;
    }

    /** Sessions open now and counted against maxSessions (sessions being refused for overload not included). */
    public int sessionsInFlight() {
        return inFlight.get();
    }

    /** Sessions that ran to their end with every reply read: the script's answer reached the channel. */
    public long sessionsServed() {
        return counters.get(SessionCounters.Outcome.SERVED);
    }

    /** Clients outside {@code fastagi.allow}, closed at once. */
    public long sessionsRefusedByAllowList() {
        return counters.get(SessionCounters.Outcome.REFUSED_BY_ALLOW_LIST);
    }

    /** Sessions above maxSessions, answered with CONGESTION/overload. */
    public long sessionsRefusedByOverload() {
        return counters.get(SessionCounters.Outcome.REFUSED_BY_OVERLOAD);
    }

    /** Sessions closed without any answer because even the overload answer had no room (twice maxSessions open). */
    public long sessionsClosedUnanswered() {
        return counters.get(SessionCounters.Outcome.CLOSED_UNANSWERED);
    }

    /** Environment blocks or replies that were not AGI (bad lines, too long, too many lines, binary). */
    public long sessionsMalformed() {
        return counters.get(SessionCounters.Outcome.MALFORMED);
    }

    /** Sessions closed because the environment block or a reply did not arrive in time. */
    public long sessionsTimedOut() {
        return counters.get(SessionCounters.Outcome.TIMED_OUT);
    }

    /** Sessions that named a script nobody registered (answered HANGUP/unknown-script). */
    public long sessionsUnknownScript() {
        return counters.get(SessionCounters.Outcome.UNKNOWN_SCRIPT);
    }

    /** Sessions whose script threw or returned something that cannot be sent (answered CONGESTION/script-error). */
    public long sessionsScriptError() {
        return counters.get(SessionCounters.Outcome.SCRIPT_ERROR);
    }

    /** Sessions whose peer closed before every command had its reply. */
    public long sessionsPeerClosedEarly() {
        return counters.get(SessionCounters.Outcome.PEER_CLOSED_EARLY);
    }

    /** 5xx replies (510 unknown command, 511 dead channel, 520 usage) received. */
    public long errorReplies() {
        return counters.errorReplies();
    }

    /** Commands written over all ended sessions: each is one round trip, as every command waits for its reply. */
    public long commandsSent() {
        return counters.commandsSent();
    }

    /** Every count above, as one value to hand on. */
    public SessionCounters counters() {
        return counters;
    }

    /** Waits until no session is open; true if that happened within {@code timeout}. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() + overloadInFlight.get() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Stops accepting, cuts the sessions still open, stops the selector threads and releases the port. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (loops != null) {
            for (AgiSelectorLoop l : loops) {
                l.shutdown();
            }
            for (AgiSelectorLoop l : loops) {
                l.join(Duration.ofSeconds(5));
            }
        }
        try {
            if (listener != null) {
                listener.close();
            }
        } catch (IOException e) {
            log.warn("FastAGI listener close failed: {}", e.toString());
        }
        log.info(
                "FastAGI on port {} closed; {} sessions served",
                boundPort,
                counters.get(SessionCounters.Outcome.SERVED));
    }

    FastAgiServerSettings settings() {
        return settings;
    }

    DecisionScript decisionScript(String name) {
        return decisionScripts.get(name);
    }

    AgiScript agiScript(String name) {
        return agiScripts.get(name);
    }

    DeferredScript deferredScript(String name) {
        return deferredScripts.get(name);
    }

    boolean allowed(InetAddress address) {
        for (CidrBlock b : allow) {
            if (b.contains(address)) {
                return true;
            }
        }
        return false;
    }

    boolean isClosed() {
        return closed;
    }
}
