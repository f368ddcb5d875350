package org.pbxagent.agent.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.pbxagent.agent.daemon.AgentDaemon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT start the graceful stop and the command then returns 0, so systemd and Pacemaker see a clean
 * exit (a plain JVM shutdown hook would end with 143). The handlers are installed before the daemon starts: a start
 * can take seconds (a DB that does not answer) with the HTTP API already serving, and a SIGTERM in that window must
 * still end in a clean stop, not the JVM's default exit. The hook stays as a fallback for any other way out.
 */
public final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

    private volatile boolean requested;
    private volatile AgentDaemon daemon;

    private Shutdown() {}

    /** Installs the signal handlers and the shutdown hook; {@link #attach} hands them the daemon once started. */
    public static Shutdown onSignals() {
        Shutdown s = new Shutdown();
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                handle(name, () -> {
                    log.info("SIG{} received: stopping", name);
                    s.request();
                });
            } catch (IllegalArgumentException e) {
                log.debug("signal {} not available here: {}", name, e.getMessage());
            }
        }
        try {
            // The JVM's default for SIGHUP is to exit; a closed terminal or a stray `kill -HUP` must not stop calls.
            handle(
                    "HUP",
                    () -> log.warn(
                            "SIGHUP ignored: the configuration is read at start only; restart the agent to apply changes"));
        } catch (IllegalArgumentException e) {
            log.debug("SIGHUP not available here: {}", e.getMessage());
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            AgentDaemon d = s.daemon;
                            if (d == null) {
                                return;
                            }
                            d.close();
                            try {
                                d.awaitStopped();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "agent-shutdown-hook"));
        return s;
    }

    /** The daemon has started: a stop asked for while it was starting begins now. */
    public void attach(AgentDaemon started) {
        daemon = started;
        if (requested) {
            log.info("stop was asked for during the start: stopping");
            stop(started);
        }
    }

    private void request() {
        // Both fields are volatile: either this sees the daemon or attach sees the request (or both; close is
        // idempotent).
        requested = true;
        AgentDaemon d = daemon;
        if (d != null) {
            stop(d);
        }
    }

    private static void stop(AgentDaemon d) {
        // Off the signal thread: the graceful stop waits for FastAGI sessions to finish.
        new Thread(d::close, "agent-stop").start();
    }

    /**
     * {@code sun.misc.Signal.handle(new Signal(name), handler)}, looked up at run time: the API is exported on purpose
     * by jdk.unsupported and is the only way to answer SIGTERM with exit 0, but javac warns on every compile-time use
     * of it with a warning no option or annotation suppresses, and the build treats warnings as errors.
     *
     * @throws IllegalArgumentException when this JVM cannot handle that signal (as Signal.handle)
     */
    private static void handle(String name, Runnable onSignal) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(
                    handlerType.getClassLoader(),
                    new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onSignal.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "SIG" + name + " handler";
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handlerType).invoke(null, sig, handler);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalStateException("cannot install the SIG" + name + " handler", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "this JVM has no sun.misc.Signal: cannot install the SIG" + name + " handler", e);
        }
    }
}
