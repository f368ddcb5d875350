package org.pbxagent.agent.cli;

import org.pbxagent.agent.lifecycle.AgentDaemon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start the graceful stop and the command then returns 0, so systemd and Pacemaker see a clean
 * exit (a plain JVM shutdown hook would end with 143). The hook stays as a fallback for any other way out.
 */
public final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

    private Shutdown() {
    }

    public static void install(AgentDaemon daemon) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), sig -> {
                    log.info("SIG{} received: stopping", sig.getName());
                    Thread t = new Thread(daemon::close, "agent-stop");
                    t.start();
                });
            } catch (IllegalArgumentException e) {
                log.debug("signal {} not available here: {}", name, e.getMessage());
            }
        }
        try {
            // The JVM's default for SIGHUP is to exit; a closed terminal or a stray `kill -HUP` must not stop calls.
            Signal.handle(new Signal("HUP"), sig -> log.warn(
                    "SIGHUP ignored: the configuration is read at start only; restart the agent to apply changes"));
        } catch (IllegalArgumentException e) {
            log.debug("SIGHUP not available here: {}", e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            try {
                daemon.awaitStopped();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "agent-shutdown-hook"));
    }
}
