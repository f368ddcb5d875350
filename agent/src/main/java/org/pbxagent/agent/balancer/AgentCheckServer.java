package org.pbxagent.agent.balancer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy agent-check: on every connection, one line ({@code 75% ready}, {@code drain}, {@code down#reason}) and
 * close. Nothing is read from the peer, so a client that sends nothing or garbage cannot hold a thread.
 */
public final class AgentCheckServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentCheckServer.class);

    private final ServerSocket server;
    private final Supplier<String> line;
    private final Thread acceptor;

    public AgentCheckServer(InetAddress bind, int port, Supplier<String> line) throws IOException {
        this.line = line;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(bind, port), 64);
        this.acceptor = new Thread(this::acceptLoop, "haproxy-agent-check");
        acceptor.setDaemon(true);
    }

    public void start() {
        acceptor.start();
        log.info("HAProxy agent-check on {}", server.getLocalSocketAddress());
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                // Only a short line: it fits the socket buffer, so the write does not wait for the peer.
                s.setSoLinger(true, 1);
                OutputStream out = s.getOutputStream();
                out.write((line.get() + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    log.debug("agent-check connection: {}", e.toString());
                }
            } catch (RuntimeException e) {
                log.warn("agent-check line failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // Closing a listening socket only fails if it is already closed.
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
