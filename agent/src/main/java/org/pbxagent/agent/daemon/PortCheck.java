package org.pbxagent.agent.daemon;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Tells early, and in the operator's words, that a configured listen address is taken: the embedded DB alone takes
 * seconds to start, and a bare "Address already in use" from deep inside a server names no key.
 */
public final class PortCheck {
    private PortCheck() {}

    /**
     * @return null when {@code bind:port} can be bound now, else a message naming {@code key}
     */
    public static String problem(String bind, int port, String key) {
        if (port == 0) {
            return null;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(bind), port), 1);
            return null;
        } catch (BindException e) {
            return bind + ":" + port + " is already in use (" + e.getMessage() + "); stop what listens there or "
                    + "change " + key;
        } catch (IOException e) {
            return "cannot listen on " + bind + ":" + port + " (" + e.getMessage() + "); change " + key;
        }
    }
}
