package org.pbxagent.storage.fence;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchHostKeyException;
import com.jcraft.jsch.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.pbxagent.storage.command.CommandResult;

/**
 * Runs SAN admin programs over one SSH session (JSch). Key authentication only; the SAN's host key must already be in
 * the configured known_hosts file (StrictHostKeyChecking=yes): an unknown or changed key is refused, never learnt.
 */
public final class SshSanShell implements SanShell {

    private static final int OUTPUT_CAP = 256 * 1024;

    private final Session session;

    private SshSanShell(Session session) {
        this.session = session;
    }

    public static SshSanShell connect(SshEndpoint endpoint) throws SanAccessException {
        if (!Files.isReadable(endpoint.identityFile())) {
            throw new SanAccessException(
                    SanAccessException.Kind.LOCAL_SETUP,
                    "identity_file is missing or unreadable: " + endpoint.identityFile(),
                    null);
        }
        if (!Files.isReadable(endpoint.knownHostsFile())) {
            throw new SanAccessException(
                    SanAccessException.Kind.LOCAL_SETUP,
                    "known_hosts file is missing or unreadable: " + endpoint.knownHostsFile(),
                    null);
        }
        JSch jsch = new JSch();
        try {
            jsch.setKnownHosts(endpoint.knownHostsFile().toString());
            jsch.addIdentity(endpoint.identityFile().toString());
        } catch (JSchException e) {
            throw new SanAccessException(
                    SanAccessException.Kind.LOCAL_SETUP, "cannot load SSH key or known_hosts: " + e.getMessage(), e);
        }
        Session session = null;
        try {
            session = jsch.getSession(endpoint.user(), endpoint.host(), endpoint.port());
            session.setConfig("StrictHostKeyChecking", "yes");
            session.setConfig("PreferredAuthentications", "publickey");
            session.setConfig("HashKnownHosts", "no");
            int ms = (int) Math.max(1, endpoint.connectTimeout().toMillis());
            session.setTimeout(ms);
            session.setServerAliveInterval(ms);
            session.setServerAliveCountMax(1);
            session.connect(ms);
            return new SshSanShell(session);
        } catch (JSchException e) {
            if (session != null) {
                session.disconnect();
            }
            throw classify(endpoint, e);
        }
    }

    private static SanAccessException classify(SshEndpoint ep, JSchException e) {
        String where = ep.user() + "@" + ep.host() + ":" + ep.port();
        if (e instanceof JSchChangedHostKeyException) {
            return new SanAccessException(
                    SanAccessException.Kind.HOST_KEY_REJECTED,
                    "host key of " + where + " differs from known_hosts: refusing to connect",
                    e);
        }
        if (e instanceof JSchHostKeyException) {
            return new SanAccessException(
                    SanAccessException.Kind.HOST_KEY_REJECTED,
                    "host key of " + where + " is not in known_hosts: refusing to connect",
                    e);
        }
        if (String.valueOf(e.getMessage()).startsWith("Auth fail")
                || String.valueOf(e.getMessage()).startsWith("Auth cancel")) {
            return new SanAccessException(
                    SanAccessException.Kind.LOGIN_DENIED, "SSH key authentication to " + where + " was refused", e);
        }
        Throwable cause = e.getCause();
        if (cause instanceof SocketTimeoutException
                || String.valueOf(e.getMessage()).contains("timeout")) {
            return new SanAccessException(
                    SanAccessException.Kind.TIMED_OUT,
                    "SSH to " + where + " timed out after "
                            + ep.connectTimeout().toMillis() + " ms",
                    e);
        }
        if (cause instanceof ConnectException
                || cause instanceof NoRouteToHostException
                || cause instanceof UnknownHostException) {
            return new SanAccessException(
                    SanAccessException.Kind.UNREACHABLE,
                    "cannot reach SAN SSH at " + where + ": " + cause.getMessage(),
                    e);
        }
        return new SanAccessException(
                SanAccessException.Kind.UNREACHABLE, "SSH to " + where + " failed: " + e.getMessage(), e);
    }

    @Override
    public CommandResult run(List<String> argv, Duration timeout) throws SanAccessException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        ChannelExec channel = null;
        try {
            channel = (ChannelExec) session.openChannel("exec");
            channel.setCommand(RemoteArgv.quote(argv));
            channel.setInputStream(null);
            InputStream out = channel.getInputStream();
            InputStream err = channel.getErrStream();
            channel.connect((int) Math.max(1, timeout.toMillis()));
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            // Poll with available() so a SAN that stops answering can never hold us past the deadline.
            while (true) {
                boolean movedOut = drain(out, o, buf);
                boolean movedErr = drain(err, e, buf); // drained even when stdout moved, so neither pipe fills
                boolean moved = movedOut || movedErr;
                if (channel.isClosed() && out.available() == 0 && err.available() == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new SanAccessException(
                            SanAccessException.Kind.TIMED_OUT,
                            argv.get(0) + " on the SAN did not finish within " + timeout.toMillis() + " ms",
                            null);
                }
                if (!session.isConnected()) {
                    throw new SanAccessException(
                            SanAccessException.Kind.UNREACHABLE,
                            "SSH connection to the SAN dropped while running " + argv.get(0),
                            null);
                }
                if (!moved) {
                    Thread.sleep(5);
                }
            }
            return new CommandResult(
                    argv,
                    CommandResult.Outcome.EXITED,
                    channel.getExitStatus(),
                    text(o),
                    text(e),
                    false,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (JSchException | IOException ex) {
            throw new SanAccessException(
                    SanAccessException.Kind.UNREACHABLE,
                    "SSH command " + argv.get(0) + " failed: " + ex.getMessage(),
                    ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new SanAccessException(SanAccessException.Kind.TIMED_OUT, "interrupted", ex);
        } finally {
            if (channel != null) {
                channel.disconnect();
            }
        }
    }

    private static boolean drain(InputStream in, ByteArrayOutputStream sink, byte[] buf) throws IOException {
        boolean moved = false;
        int n;
        while (in.available() > 0 && (n = in.read(buf, 0, Math.min(buf.length, in.available()))) > 0) {
            if (sink.size() < OUTPUT_CAP) {
                sink.write(buf, 0, Math.min(n, OUTPUT_CAP - sink.size()));
            }
            moved = true;
        }
        return moved;
    }

    private static String text(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        session.disconnect();
    }
}
