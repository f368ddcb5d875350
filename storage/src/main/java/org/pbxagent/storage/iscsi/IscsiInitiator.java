package org.pbxagent.storage.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;
import org.pbxagent.storage.mount.MountEntry;
import org.pbxagent.storage.mount.MountTable;

/**
 * open-iscsi on this node through {@code iscsiadm}: sendtargets discovery, CHAP on the node records, login to every
 * configured portal, the session state check, a bounded wait for the by-path device, and a logout that refuses while
 * the device is mounted or open.
 */
public final class IscsiInitiator {

    /** iscsiadm exit codes (open-iscsi iscsi_err.h) the agent acts on. */
    static final int ERR_TRANS_TIMEOUT = 8;

    static final int ERR_SESS_EXISTS = 15;
    static final int ERR_NO_OBJS_FOUND = 21;
    static final int ERR_LOGIN_AUTH_FAILED = 24;
    static final int ERR_LOGIN = 5;
    static final int ERR_TRANS = 4;

    private final IscsiSettings settings;
    private final CommandRunner runner;
    private final Path nodeDb;

    public IscsiInitiator(IscsiSettings settings, CommandRunner runner) {
        this(settings, runner, NodeRecords.defaultDb());
    }

    /** @param nodeDb open-iscsi's node database (where discovery writes the records iscsiadm logs in with) */
    public IscsiInitiator(IscsiSettings settings, CommandRunner runner, Path nodeDb) {
        this.settings = settings;
        this.runner = runner;
        this.nodeDb = nodeDb;
    }

    private CommandResult iscsiadm(String... args) {
        List<String> argv = new ArrayList<>(args.length + 1);
        argv.add("iscsiadm");
        argv.addAll(List.of(args));
        return runner.run(BoundedCommand.of(settings.commandTimeout(), argv));
    }

    /** Sendtargets discovery on one portal; returns the target names it offers. */
    public List<String> discover(String portal) throws StorageException {
        CommandResult r = iscsiadm("-m", "discovery", "-t", "sendtargets", "-p", portal);
        if (!r.ok()) {
            throw failure("discovery on " + portal, r);
        }
        List<String> targets = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            // "127.0.0.1:3260,1 iqn.2026-11.org.pbxagent:shared"
            int sp = line.indexOf(' ');
            if (sp > 0) {
                targets.add(line.substring(sp + 1).strip());
            }
        }
        return targets;
    }

    /** Discovery, CHAP, then login on every portal. Already logged in counts as success. */
    public void login() throws StorageException {
        for (String portal : settings.portals()) {
            List<String> offered = discover(portal);
            if (!offered.contains(settings.target().value())) {
                throw new StorageException(
                        StorageException.Kind.NOT_CONFIGURED,
                        "portal " + portal + " does not offer target " + settings.target() + " (it offers " + offered
                                + ")");
            }
            if (settings.chap()) {
                update(portal, "node.session.auth.authmethod", "CHAP");
                update(portal, "node.session.auth.username", settings.chapUser());
                // Never on an argv (readable in /proc/PID/cmdline): straight into the 0600 node record.
                NodeRecords.setSecret(nodeDb, settings.target().value(), portal, settings.chapSecret());
            }
            CommandResult r = iscsiadm("-m", "node", "-T", settings.target().value(), "-p", portal, "--login");
            if (!r.ok() && !(r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == ERR_SESS_EXISTS)) {
                throw failure("login to " + settings.target() + " on " + portal, r);
            }
        }
    }

    private void update(String portal, String key, String value) throws StorageException {
        CommandResult r = iscsiadm(
                "-m", "node", "-T", settings.target().value(), "-p", portal, "-o", "update", "-n", key, "-v", value);
        if (!r.ok()) {
            // the reason names the key, never the value (it may be the CHAP secret)
            throw failure("setting " + key + " for " + portal, r);
        }
    }

    /** Sessions of our target, with their state; empty when none. */
    public List<IscsiSession> sessions() throws StorageException {
        CommandResult r = iscsiadm("-m", "session", "-P", "3");
        if (r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == ERR_NO_OBJS_FOUND) {
            return List.of();
        }
        if (!r.ok()) {
            throw failure("listing iSCSI sessions", r);
        }
        List<IscsiSession> ours = new ArrayList<>();
        for (IscsiSession s : IscsiSessionTable.parse(r.stdout())) {
            if (s.target().equalsIgnoreCase(settings.target().value())) {
                ours.add(s);
            }
        }
        return ours;
    }

    /** Null when every configured portal has a logged-in session of our target; otherwise what is wrong. */
    public String sessionProblem() {
        List<IscsiSession> sessions;
        try {
            sessions = sessions();
        } catch (StorageException e) {
            return e.getMessage();
        }
        for (String portal : settings.portals()) {
            IscsiSession s = sessions.stream()
                    .filter(x -> x.portalAddress().equals(portal))
                    .findFirst()
                    .orElse(null);
            if (s == null) {
                return "no iSCSI session to " + settings.target() + " on " + portal;
            }
            if (!s.loggedIn()) {
                return "iSCSI session " + s.sid() + " on " + portal + " is " + s.sessionState() + " (connection "
                        + s.connectionState() + ")";
            }
        }
        return null;
    }

    /** Waits (bounded) until the LUN's by-path device exists for the first portal; returns it. */
    public Path awaitDevice() throws StorageException {
        long deadline = System.nanoTime() + settings.deviceWait().toNanos();
        Path dev = Path.of(settings.byPathDevice(settings.portals().get(0)));
        while (true) {
            if (Files.exists(dev)) {
                return dev;
            }
            if (System.nanoTime() >= deadline) {
                throw StorageException.failed("device " + dev + " did not appear within "
                        + settings.deviceWait().toMillis() + " ms after login (wrong LUN, or udev not running?)");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw StorageException.failed("interrupted while waiting for " + dev);
            }
        }
    }

    /** Logs out of every portal, refusing while the LUN is mounted or open by a process. */
    public void logout() throws StorageException {
        for (String portal : settings.portals()) {
            Path dev = Path.of(settings.byPathDevice(portal));
            String busy = busy(dev);
            if (busy != null) {
                throw StorageException.failed("refusing to log out of " + portal + ": " + busy);
            }
        }
        for (String portal : settings.portals()) {
            CommandResult r = iscsiadm("-m", "node", "-T", settings.target().value(), "-p", portal, "--logout");
            if (!r.ok() && !(r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == ERR_NO_OBJS_FOUND)) {
                throw failure("logout of " + settings.target() + " on " + portal, r);
            }
        }
    }

    /** Null when nothing uses the device; otherwise who does (a mount of it or of a partition, or an open fd). */
    static String busy(Path dev) {
        if (!Files.exists(dev)) {
            return null;
        }
        Path real;
        try {
            real = dev.toRealPath();
        } catch (IOException e) {
            return null;
        }
        String name = real.getFileName().toString();
        try {
            for (MountEntry m : MountTable.read()) {
                String src = m.source();
                if (src.equals(real.toString())
                        || src.equals(dev.toString())
                        || (src.startsWith(real.toString())
                                && src.length() > real.toString().length()
                                && Character.isDigit(src.charAt(src.length() - 1)))) {
                    return name + " is mounted on " + m.mountPoint();
                }
            }
        } catch (IOException e) {
            return "cannot read the mount table: " + e.getMessage();
        }
        String opener = openedBy(real.toString());
        if (opener != null) {
            return name + " is open by " + opener;
        }
        Path holders = Path.of("/sys/class/block", name, "holders");
        try (var s = Files.list(holders)) {
            var first = s.findFirst();
            if (first.isPresent()) {
                return name + " is held by " + first.get().getFileName() + " (device-mapper/multipath)";
            }
        } catch (IOException e) {
            // no holders directory: nothing stacked on it
        }
        return null;
    }

    /** The first process with the device itself open (a raw reader, a backup, a stuck probe), as "comm[pid]". */
    private static String openedBy(String device) {
        try (var procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                String pid = proc.getFileName().toString();
                if (pid.isEmpty() || !Character.isDigit(pid.charAt(0))) {
                    continue;
                }
                try (var fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().equals(device)) {
                                String comm =
                                        Files.readString(proc.resolve("comm")).strip();
                                return comm + "[" + pid + "]";
                            }
                        } catch (IOException | RuntimeException e) {
                            // fd closed meanwhile
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // process gone
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private StorageException failure(String what, CommandResult r) {
        if (r.outcome() == CommandResult.Outcome.NOT_INSTALLED) {
            return new StorageException(
                    StorageException.Kind.NOT_INSTALLED, what + ": iscsiadm is not installed (package open-iscsi)");
        }
        if (r.outcome() == CommandResult.Outcome.TIMED_OUT) {
            return StorageException.failed(what + ": iscsiadm timed out after "
                    + settings.commandTimeout().toMillis() + " ms (SAN unreachable or slow?)");
        }
        String hint = switch (r.exitCode()) {
            case ERR_LOGIN_AUTH_FAILED -> " (CHAP authentication failed: check user and secret on both sides)";
            case ERR_TRANS_TIMEOUT -> " (the SAN did not answer in time)";
            case ERR_TRANS, ERR_LOGIN -> " (SAN unreachable or refused the login)";
            default -> "";
        };
        return StorageException.failed(what + ": " + r.reason() + hint);
    }
}
