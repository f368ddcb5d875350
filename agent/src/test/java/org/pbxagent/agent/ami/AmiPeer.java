package org.pbxagent.agent.ami;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An Asterisk 20 manager stand-in that answers with the recorded bytes of asterisk-20/ami-session.txt and
 * ami-shutdown.txt. Only the client's ActionID and the values a scenario varies (channel names and ids, counts, the
 * Ping timestamp) differ from the recording. It can refuse the login, go silent, crash, shut down as Asterisk does
 * and send garbage; it can also generate calls at a rate from the recorded call events.
 *
 * <p>A stop goes as in a real Asterisk (asterisk-20/REAL-BEHAVIOUR.md): from the first moment of {@code core stop
 * gracefully|now|when convenient} every action, Login and Ping included, is answered {@code Response: Error} /
 * {@code Message: Asterisk is shutting down} on connections that stay up, and no new call is taken (manager.c checks
 * {@code ast_shutting_down()} before anything else); {@code Event: Shutdown} comes only at the very end, when the
 * last call has ended (gracefully) or at once after hanging every call up (now).
 *
 * <p>Sessions as manager.c keeps them: a failed Login is answered after a one-second pause and the connection
 * closed (action_login returns -1); {@code Logoff} is answered {@code Goodbye} and closed. The Login's
 * {@code Events} header sets the event classes the session is sent ({@code on}, {@code off}, or a list such as
 * {@code system}; absent means all), and {@code FullyBooted} follows a successful Login only for a session that
 * takes system events. The peer measures how long sessions are logged in ({@link #loggedInNanos()}), the figure
 * Asterisk's cost depends on: manager.c formats and queues every event while any session is logged in.
 *
 * <p>Calls have one channel each, as in the recording, or several ({@link #setCallsQuietly(int, int)}: a ring-group
 * call has two), and {@code core show channels count} answers both counts as Asterisk does.
 *
 * <p>Standalone: {@code java -cp <test classpath> org.pbxagent.agent.ami.AmiPeer --port 5038 --username agent
 * --secret agentsecret [--bind 127.0.0.1] [--calls N] [--rate CALLS_PER_S --hold-ms MS]}; it prints
 * {@code AMI peer listening on HOST:PORT} and reads commands on stdin: {@code crash} (exit at once), {@code hang}
 * (stay connected, go silent), {@code resume}, {@code shutdown} (recorded Shutdown event, close, stop listening),
 * {@code start} (listen again), {@code stop-gracefully} (begin a graceful stop: refuses everything, shuts down
 * when the calls have ended), {@code abort-shutdown}, {@code refuse-login on|off}, {@code calls N}, {@code rate R [HOLD_MS]},
 * {@code garbage}, {@code quit}.
 */
public final class AmiPeer implements AutoCloseable {
    /** A live channel (SIP/127.0.0.1-xxxxxxxx); channels of one call share its Linkedid. */
    private record Channel(String name, String uniqueId, String linkedId, long createdNanos) {}

    private static final AmiRecording REC = AmiRecording.load();

    private final InetAddress bind;
    private final String username;
    private final String secret;
    private volatile int port;
    private volatile ServerSocket server;
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private final Map<String, Channel> channels = new LinkedHashMap<>(); // guarded by this
    private final AtomicLong processed = new AtomicLong(9); // the recording's "calls processed" before its calls
    private final AtomicLong channelSeq = new AtomicLong(0x0c);
    private final AtomicLong actionsReceived = new AtomicLong();
    private final List<String> logins = new CopyOnWriteArrayList<>();
    private volatile boolean refuseLogin;
    private volatile boolean garbageBeforeReplies;
    private volatile boolean booted = true;
    private final AtomicLong successfulLogins = new AtomicLong();
    private final AtomicLong endedLoggedInNanos = new AtomicLong();
    private final AtomicLong longestLoggedInNanos = new AtomicLong();
    private volatile boolean shuttingDown;
    private Thread stopper;
    private volatile boolean silent;
    private Thread acceptor;
    private Thread generator;

    public AmiPeer(String username, String secret) {
        this(InetAddress.getLoopbackAddress(), 0, username, secret);
    }

    public AmiPeer(InetAddress bind, int port, String username, String secret) {
        this.bind = bind;
        this.port = port;
        this.username = username;
        this.secret = secret;
    }

    // ------------------------------------------------------------------ control

    /** Starts listening (again, on the same port after a crash or shutdown). */
    public synchronized AmiPeer start() throws IOException {
        shuttingDown = false; // a restarted Asterisk
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(bind, port), 50);
        port = ss.getLocalPort();
        server = ss;
        acceptor = new Thread(() -> acceptLoop(ss), "ami-peer-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    public int port() {
        return port;
    }

    /** Whether the manager port accepts connections (false after a crash or the end of a stop). */
    public boolean listening() {
        ServerSocket ss = server;
        return ss != null && !ss.isClosed();
    }

    /** Asterisk dies: every connection and the listener close without a word. */
    public synchronized void crash() {
        stopListening();
        for (Client c : clients) {
            c.close();
        }
    }

    /**
     * The end of a stop: the recorded Shutdown event to every session that takes system events, then close and stop
     * listening.
     */
    public synchronized void shutdown() {
        stopListening();
        String ev = REC.findShutdown("Event: Shutdown");
        for (Client c : clients) {
            if (c.loggedIn && c.takes("system")) {
                c.write(ev);
            }
            c.close();
        }
    }

    /**
     * {@code core stop gracefully}: from now on every action gets "Asterisk is shutting down" and no call is taken;
     * when the last call has ended, the Shutdown event and the close ({@link #shutdown()}).
     */
    public synchronized void beginGracefulStop() {
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
        Thread t = new Thread(
                () -> {
                    while (shuttingDown && liveCalls() > 0) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    finishGracefulStop();
                },
                "ami-peer-stop");
        t.setDaemon(true);
        stopper = t;
        t.start();
    }

    private synchronized void finishGracefulStop() {
        if (shuttingDown) {
            shutdown();
        }
    }

    /** {@code core abort shutdown}: a stop that has not ended yet is called off; actions are answered again. */
    public synchronized void abortShutdown() {
        shuttingDown = false;
        if (stopper != null) {
            stopper.interrupt();
            stopper = null;
        }
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    /** Stays connected and accepts new connections, but sends nothing any more (a hung Asterisk). */
    public void hang() {
        silent = true;
    }

    public void resume() {
        silent = false;
    }

    public void refuseLogin(boolean refuse) {
        refuseLogin = refuse;
    }

    /**
     * {@code false}: Asterisk still booting, a Login is answered but no FullyBooted follows it. {@code true}: the boot
     * ends, FullyBooted goes to every logged-in session that takes system events.
     */
    public synchronized void booted(boolean b) {
        boolean was = booted;
        booted = b;
        if (b && !was) {
            for (Client c : clients) {
                if (c.loggedIn && c.takes("system")) {
                    c.write(REC.find("Event: FullyBooted"));
                }
            }
        }
    }

    /** Bad input for clients: a line of binary bytes, a line without a key and an overlong line before every reply. */
    public void garbageBeforeReplies(boolean on) {
        garbageBeforeReplies = on;
    }

    /** Successful Logins so far. */
    public long successfulLogins() {
        return successfulLogins.get();
    }

    /** Total time sessions have been logged in, those still logged in counted up to now. */
    public long loggedInNanos() {
        long total = endedLoggedInNanos.get();
        long now = System.nanoTime();
        for (Client c : clients) {
            long at = c.loggedInAt;
            if (c.loggedIn && at != 0) {
                total += now - at;
            }
        }
        return total;
    }

    /** The longest single logged-in stretch of a session that has ended. */
    public long longestLoggedInNanos() {
        return longestLoggedInNanos.get();
    }

    /** Raw bytes to every logged-in client, as they are. */
    public void sendRaw(byte[] bytes) {
        for (Client c : clients) {
            if (c.loggedIn) {
                c.writeBytes(bytes);
            }
        }
    }

    /** The recorded "(listening 3s)" block byte for byte: three calls come up (channels 09, 0a, 0b). */
    public void emitRecordedCallsUp() {
        String first = REC.find("Event: Newchannel", "Channel: SIP/127.0.0.1-00000009");
        String end = REC.find("Event: CoreShowChannelsComplete", "ListItems: 0");
        List<String> block = REC.between(end, REC.find("Response: Success", "ActionID: csc1"));
        synchronized (this) {
            long now = System.nanoTime();
            // Newest first, as CoreShowChannels lists them.
            for (String[] ch : new String[][] {
                {"SIP/127.0.0.1-00000009", "1795544753.9"},
                {"SIP/127.0.0.1-0000000a", "1795544753.10"},
                {"SIP/127.0.0.1-0000000b", "1795544754.11"}
            }) {
                channels.put(ch[1], new Channel(ch[0], ch[1], ch[1], now));
                processed.incrementAndGet();
            }
        }
        if (!block.get(0).equals(first)) {
            throw new IllegalStateException("recording layout changed");
        }
        broadcast(block);
    }

    /** The recorded HangupRequest/SoftHangupRequest/Hangup/DeviceStateChange of one of the recorded calls. */
    public void emitRecordedHangup(String uniqueId) {
        List<String> block = new ArrayList<>();
        for (String kind : new String[] {"HangupRequest", "SoftHangupRequest", "Hangup"}) {
            block.add(REC.find("Event: " + kind, "Uniqueid: " + uniqueId));
        }
        block.add(REC.find("Event: DeviceStateChange"));
        synchronized (this) {
            channels.remove(uniqueId);
        }
        broadcast(block);
    }

    /** Sets the number of live calls without telling anyone (as if they changed while nobody was connected). */
    public synchronized void setCallsQuietly(int n) {
        setCallsQuietly(n, 1);
    }

    /** {@code calls} live calls of {@code channelsPerCall} channels each (2 for a ring-group call), quietly. */
    public synchronized void setCallsQuietly(int calls, int channelsPerCall) {
        channels.clear();
        for (int i = 0; i < calls; i++) {
            String linked = null;
            for (int j = 0; j < channelsPerCall; j++) {
                Channel c = newChannel(linked);
                linked = c.linkedId;
                channels.put(c.uniqueId, c);
            }
        }
    }

    /** A new call with the recorded Newchannel/Newstate/DeviceStateChange/Newstate/DeviceStateChange events. */
    public String callUp() {
        if (shuttingDown) {
            return null; // main/channel.c: "Refusing due to active shutdown"
        }
        Channel c = newChannel(null);
        synchronized (this) {
            channels.put(c.uniqueId, c);
        }
        processed.incrementAndGet();
        List<String> block = new ArrayList<>();
        block.add(REC.find("Event: Newchannel", "Uniqueid: 1795544753.9"));
        block.add(REC.find("Event: Newstate", "ChannelStateDesc: Ring", "Uniqueid: 1795544753.9"));
        block.add(REC.find("Event: DeviceStateChange"));
        block.add(REC.find("Event: Newstate", "ChannelStateDesc: Up", "Uniqueid: 1795544753.9"));
        block.add(REC.find("Event: DeviceStateChange"));
        broadcast(rename(block, c));
        return c.uniqueId;
    }

    public void hangup(String uniqueId) {
        Channel c;
        synchronized (this) {
            c = channels.remove(uniqueId);
        }
        if (c == null) {
            return;
        }
        List<String> block = new ArrayList<>();
        for (String kind : new String[] {"HangupRequest", "SoftHangupRequest", "Hangup"}) {
            block.add(REC.find("Event: " + kind, "Uniqueid: 1795544753.9"));
        }
        block.add(REC.find("Event: DeviceStateChange"));
        broadcast(rename(block, c));
    }

    /** Generates calls at {@code perSecond}, each held {@code holdMs}, until {@link #stopCalls()}. */
    public synchronized void startCalls(double perSecond, long holdMs) {
        stopCalls();
        Thread t = new Thread(() -> generate(perSecond, holdMs), "ami-peer-calls");
        t.setDaemon(true);
        generator = t;
        t.start();
    }

    public synchronized void stopCalls() {
        if (generator != null) {
            generator.interrupt();
            try {
                generator.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            generator = null;
        }
    }

    /** Live calls: distinct Linkedids among the live channels, as Asterisk counts "active calls". */
    public synchronized int liveCalls() {
        return (int)
                channels.values().stream().map(Channel::linkedId).distinct().count();
    }

    public synchronized int liveChannels() {
        return channels.size();
    }

    public long actionsReceived() {
        return actionsReceived.get();
    }

    /** Usernames of every Login attempt, in order (secrets are not kept). */
    public List<String> loginAttempts() {
        return logins;
    }

    public int connectedClients() {
        int n = 0;
        for (Client c : clients) {
            if (!c.socket.isClosed()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        stopCalls();
        crash();
    }

    // ------------------------------------------------------------------ internals

    private Channel newChannel(String linkedId) {
        long seq = channelSeq.getAndIncrement();
        String name = String.format("SIP/127.0.0.1-%08x", seq);
        String unique = "1795544760." + seq;
        return new Channel(name, unique, linkedId == null ? unique : linkedId, System.nanoTime());
    }

    private static List<String> rename(List<String> block, Channel c) {
        List<String> out = new ArrayList<>(block.size());
        for (String m : block) {
            out.add(m.replace("SIP/127.0.0.1-00000009", c.name).replace("1795544753.9\r\n", c.uniqueId + "\r\n"));
        }
        return out;
    }

    private void generate(double perSecond, long holdMs) {
        long periodNanos = (long) (1e9 / perSecond);
        java.util.ArrayDeque<long[]> up = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<String> ids = new java.util.ArrayDeque<>();
        long next = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            while (now - next >= 0) {
                String id = callUp();
                if (id != null) {
                    ids.add(id);
                    up.add(new long[] {next + holdMs * 1_000_000L});
                }
                next += periodNanos;
            }
            while (!up.isEmpty() && now - up.peek()[0] >= 0) {
                up.poll();
                hangup(ids.poll());
            }
            long sleep = Math.min(next - now, up.isEmpty() ? Long.MAX_VALUE : up.peek()[0] - now);
            if (sleep > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(sleep);
            }
        }
    }

    private void broadcast(List<String> messages) {
        StringBuilder b = new StringBuilder();
        for (String m : messages) {
            b.append(m);
        }
        String all = b.toString();
        for (Client c : clients) {
            if (c.loggedIn && c.events && c.takes("call")) {
                c.write(all);
            }
        }
    }

    private void stopListening() {
        ServerSocket ss = server;
        if (ss != null) {
            try {
                ss.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        Thread a = acceptor;
        if (a != null && a != Thread.currentThread()) {
            try {
                a.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void acceptLoop(ServerSocket ss) {
        while (!ss.isClosed()) {
            try {
                Socket s = ss.accept();
                Client c = new Client(s);
                clients.add(c);
                Thread t = new Thread(c::serve, "ami-peer-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // listener closed
            }
        }
    }

    private final class Client {
        final Socket socket;
        final OutputStream out;
        volatile boolean loggedIn;
        volatile long loggedInAt;
        volatile boolean events = true;
        /** manager.c's send_events: the classes named in the Login's Events header; null = all. */
        volatile java.util.Set<String> eventClasses;

        private String challenge;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        void write(String s) {
            writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }

        synchronized void writeBytes(byte[] b) {
            if (silent) {
                return;
            }
            try {
                out.write(b);
                out.flush();
            } catch (IOException e) {
                close();
            }
        }

        boolean takes(String eventClass) {
            java.util.Set<String> m = eventClasses;
            return m == null || m.contains(eventClass) || m.contains("all");
        }

        /** The session is no longer logged in (Logoff or close): its stretch counts into the peer's total. */
        synchronized void endLogin() {
            long at = loggedInAt;
            if (loggedIn && at != 0) {
                long d = System.nanoTime() - at;
                endedLoggedInNanos.addAndGet(d);
                longestLoggedInNanos.accumulateAndGet(d, Math::max);
            }
            loggedIn = false;
            loggedInAt = 0;
        }

        void close() {
            endLogin();
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            clients.remove(this);
        }

        void serve() {
            try {
                InputStream in = socket.getInputStream();
                write(REC.banner);
                Map<String, String> action = new LinkedHashMap<>();
                StringBuilder line = new StringBuilder();
                int b;
                while ((b = in.read()) >= 0) {
                    if (b != '\n') {
                        if (b != '\r' && line.length() < 65536) {
                            line.append((char) b);
                        }
                        continue;
                    }
                    String l = line.toString();
                    line.setLength(0);
                    if (!l.isEmpty()) {
                        int colon = l.indexOf(':');
                        if (colon > 0) {
                            action.putIfAbsent(
                                    l.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                                    l.substring(colon + 1).trim());
                        }
                        continue;
                    }
                    if (action.isEmpty()) {
                        continue;
                    }
                    actionsReceived.incrementAndGet();
                    if (!answer(action)) {
                        break;
                    }
                    action.clear();
                }
            } catch (IOException e) {
                // client went away or we were closed
            } finally {
                close();
            }
        }

        /** Answers one action; false when the connection is to end. */
        private boolean answer(Map<String, String> a) {
            String id = a.get("actionid");
            String name = a.getOrDefault("action", "");
            if (garbageBeforeReplies) {
                byte[] longLine = new byte[70_000];
                java.util.Arrays.fill(longLine, (byte) 'x');
                writeBytes("\u0000\u00ff\u0001 binary\r\nno colon here\r\n".getBytes(StandardCharsets.ISO_8859_1));
                writeBytes(longLine);
                writeBytes("\r\n\r\nResponse: Success\r\nActionID: nobody\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (shuttingDown) {
                // manager.c process_message(): before authentication and before the action is looked up.
                write("Response: Error\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n")
                        + "Message: Asterisk is shutting down\r\n\r\n");
                return true;
            }
            switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "challenge" -> {
                    // Not in the recording: manager.c's MD5 challenge, for clients that log in that way
                    // (asterisk-java's ManagerConnection does).
                    challenge = String.valueOf(100_000_000 + new java.util.Random().nextInt(900_000_000));
                    write("Response: Success\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n") + "Challenge: "
                            + challenge + "\r\n\r\n");
                }
                case "login" -> {
                    logins.add(a.getOrDefault("username", ""));
                    boolean secretOk = "md5".equalsIgnoreCase(a.get("authtype")) && challenge != null
                            ? md5Hex(challenge + secret).equalsIgnoreCase(a.getOrDefault("key", ""))
                            : secret.equals(a.get("secret"));
                    boolean ok = !refuseLogin && username.equals(a.get("username")) && secretOk;
                    if (!ok) {
                        // manager.c action_login(): sleep(1), the error, then -1 ends the session.
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        write(AmiRecording.withActionId(REC.find("Response: Error", "ActionID: l1"), "l1", id));
                        return false;
                    }
                    eventClasses = eventMask(a.get("events"));
                    loggedInAt = System.nanoTime();
                    loggedIn = true;
                    successfulLogins.incrementAndGet();
                    // FullyBooted right after the ack, for a session that takes system events, once booted.
                    write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: l2"), "l2", id)
                            + (booted && takes("system") ? REC.find("Event: FullyBooted") : ""));
                }
                case "ping" -> {
                    long ms = System.currentTimeMillis();
                    String ts = String.format("%d.%06d", ms / 1000, (ms % 1000) * 1000);
                    write(AmiRecording.withActionId(REC.find("Ping: Pong"), "p1", id)
                            .replace("Timestamp: 1795544749.503395", "Timestamp: " + ts));
                }
                case "logoff" -> {
                    endLogin(); // manager.c: the session ends with this action
                    write(AmiRecording.withActionId(REC.find("Response: Goodbye"), "lo", id));
                    return false;
                }
                default -> {
                    if (!loggedIn) {
                        // manager.c: anything but Login/Challenge before authentication.
                        write("Response: Error\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n")
                                + "Message: Authentication Required\r\n\r\n");
                        return true;
                    }
                    answerLoggedIn(name, id, a);
                }
            }
            return true;
        }

        private void answerLoggedIn(String name, String id, Map<String, String> a) {
            switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "coreshowchannels" -> write(coreShowChannels(id));
                case "command" -> {
                    String cmd = a.getOrDefault("command", "");
                    int calls = liveCalls();
                    int chans = liveChannels();
                    if (cmd.equals("core stop gracefully") || cmd.equals("core stop when convenient")) {
                        write("Response: Success\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n")
                                + "Message: Command output follows\r\n\r\n");
                        beginGracefulStop();
                    } else if (cmd.equals("core show channels count")) {
                        write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: cmd1"), "cmd1", id)
                                .replace(
                                        "Output: 3 active channels",
                                        "Output: " + chans + " active channel" + (chans == 1 ? "" : "s"))
                                .replace(
                                        "Output: 3 active calls",
                                        "Output: " + calls + " active call" + (calls == 1 ? "" : "s"))
                                .replace(
                                        "Output: 12 calls processed",
                                        "Output: " + processed.get() + " calls processed"));
                    } else if (cmd.equals("core show calls")) {
                        write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: cmd2"), "cmd2", id)
                                .replace(
                                        "Output: 2 active calls",
                                        "Output: " + calls + " active call" + (calls == 1 ? "" : "s"))
                                .replace(
                                        "Output: 12 calls processed",
                                        "Output: " + processed.get() + " calls processed"));
                    } else {
                        write("Response: Success\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n")
                                + "Message: Command output follows\r\nOutput: No such command '" + cmd
                                + "' (type 'core show help " + cmd + "' for other possible commands)\r\n\r\n");
                    }
                }
                case "corestatus" ->
                    write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: cs2"), "cs2", id)
                            .replace("CoreCurrentCalls: 3", "CoreCurrentCalls: " + liveCalls())
                            .replace("CoreProcessedCalls: 12", "CoreProcessedCalls: " + processed.get()));
                case "status" -> {
                    if (liveCalls() == 0) {
                        write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: st1"), "st1", id)
                                + AmiRecording.withActionId(REC.find("Event: StatusComplete"), "st1", id));
                    } else {
                        // Only the recorded (empty) Status list is reproduced.
                        write("Response: Error\r\n" + (id == null ? "" : "ActionID: " + id + "\r\n")
                                + "Message: Status with live channels is not reproduced by this peer\r\n\r\n");
                    }
                }
                case "events" -> {
                    events = !"off".equalsIgnoreCase(a.get("eventmask"));
                    write(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: ev1"), "ev1", id)
                            .replace("Events: Off", events ? "Events: On" : "Events: Off"));
                }
                default ->
                    write(AmiRecording.withActionId(REC.find("Response: Error", "ActionID: x1"), "x1", id)
                            .replace("command: NoSuchAction.", "command: " + name + "."));
            }
        }

        private String coreShowChannels(String id) {
            List<Channel> list;
            synchronized (AmiPeer.this) {
                list = new ArrayList<>(channels.values());
            }
            StringBuilder b = new StringBuilder();
            if (list.isEmpty()) {
                b.append(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: csc0"), "csc0", id));
                b.append(AmiRecording.withActionId(
                        REC.find("Event: CoreShowChannelsComplete", "ActionID: csc0"), "csc0", id));
                return b.toString();
            }
            b.append(AmiRecording.withActionId(REC.find("Response: Success", "ActionID: csc1"), "csc1", id));
            String item = AmiRecording.withActionId(
                    REC.find("Event: CoreShowChannel", "Channel: SIP/127.0.0.1-0000000b"), "csc1", id);
            long now = System.nanoTime();
            for (int i = list.size() - 1; i >= 0; i--) { // newest first, as Asterisk lists them
                Channel c = list.get(i);
                long s = (now - c.createdNanos) / 1_000_000_000L;
                b.append(item.replace("SIP/127.0.0.1-0000000b", c.name)
                        .replace("1795544754.11\r\n", c.uniqueId + "\r\n")
                        .replace(
                                "Duration: 00:00:02",
                                String.format("Duration: %02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)));
            }
            b.append(
                    AmiRecording.withActionId(REC.find("Event: CoreShowChannelsComplete", "ActionID: csc1"), "csc1", id)
                            .replace("ListItems: 3", "ListItems: " + list.size()));
            return b.toString();
        }
    }

    /** manager.c strings_to_mask(): on/yes = all, off/no = none, else the named classes; absent = all. */
    private static java.util.Set<String> eventMask(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim().toLowerCase(java.util.Locale.ROOT);
        if (h.equals("on") || h.equals("yes") || h.equals("true")) {
            return null;
        }
        if (h.equals("off") || h.equals("no") || h.equals("false")) {
            return java.util.Set.of();
        }
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String p : h.split(",")) {
            out.add(p.trim());
        }
        return out;
    }

    private static String md5Hex(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder();
            for (byte x : d) {
                b.append(String.format("%02x", x));
            }
            return b.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ standalone

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        AmiPeer peer = new AmiPeer(
                InetAddress.getByName(o.getOrDefault("bind", "127.0.0.1")),
                Integer.parseInt(o.getOrDefault("port", "5038")),
                o.getOrDefault("username", "agent"),
                o.getOrDefault("secret", "agentsecret"));
        peer.setCallsQuietly(Integer.parseInt(o.getOrDefault("calls", "0")));
        peer.start();
        if (o.containsKey("rate")) {
            peer.startCalls(Double.parseDouble(o.get("rate")), Long.parseLong(o.getOrDefault("hold-ms", "5000")));
        }
        System.out.println("AMI peer listening on " + peer.bind.getHostAddress() + ":" + peer.port());
        System.out.flush();
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String cmd;
        while ((cmd = stdin.readLine()) != null) {
            String[] w = cmd.trim().split("\\s+");
            switch (w[0]) {
                case "crash" -> Runtime.getRuntime().halt(1);
                case "hang" -> peer.hang();
                case "resume" -> peer.resume();
                case "shutdown" -> peer.shutdown();
                case "stop-gracefully" -> peer.beginGracefulStop();
                case "abort-shutdown" -> peer.abortShutdown();
                case "start" -> peer.start();
                case "refuse-login" -> peer.refuseLogin(w.length > 1 && w[1].equals("on"));
                case "calls" -> peer.setCallsQuietly(Integer.parseInt(w[1]));
                case "rate" -> {
                    if (Double.parseDouble(w[1]) <= 0) {
                        peer.stopCalls();
                    } else {
                        peer.startCalls(Double.parseDouble(w[1]), w.length > 2 ? Long.parseLong(w[2]) : 5000);
                    }
                }
                case "garbage" ->
                    peer.sendRaw("\u0000\u00ff garbage without a colon\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                case "quit" -> {
                    peer.close();
                    return;
                }
                case "" -> {}
                default -> System.err.println("unknown command: " + cmd);
            }
            System.out.println("ok " + w[0]);
            System.out.flush();
        }
        peer.close(); // stdin closed: the parent is gone
    }
}
