package org.pbxagent.agent.storage;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.iscsi.IscsiSession;
import org.pbxagent.storage.mount.MountEntry;
import org.pbxagent.storage.mount.SharedMount;
import org.pbxagent.storage.probe.ProbeReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pbx-agent storage start|stop|monitor|status}: the shared storage of this node, for the pbx-storage resource
 * agent and for operators. Exit codes carry OCF meanings so the resource agent passes them through: 0 ok/running,
 * 1 generic error, 2 bad arguments, 5 a program is not installed, 6 not configured, 7 not running. A failure prints
 * one line on stderr saying what to do.
 */
@Command(
        name = "storage",
        mixinStandardHelpOptions = true,
        description = "Shared storage of this node: iSCSI session and cluster file system mount.",
        subcommands = {
            StorageCommand.Start.class,
            StorageCommand.Stop.class,
            StorageCommand.Monitor.class,
            StorageCommand.Status.class,
            StorageCommand.Validate.class
        })
public final class StorageCommand implements Runnable {

    public static final int OCF_SUCCESS = 0;
    public static final int OCF_ERR_GENERIC = 1;
    public static final int OCF_ERR_ARGS = 2;
    public static final int OCF_ERR_INSTALLED = 5;
    public static final int OCF_ERR_CONFIGURED = 6;
    public static final int OCF_NOT_RUNNING = 7;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** The configuration file option every storage subcommand takes. */
    static final class ConfigOption {
        @Option(
                names = {"-c", "--config"},
                paramLabel = "FILE",
                defaultValue = "/etc/pbx-agent/pbx-agent.properties",
                description =
                        "The agent's configuration file (node.*, storage.*, iscsi.* keys; default ${DEFAULT-VALUE}).")
        Path file;
    }

    abstract static class Action implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ConfigOption config;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        @Override
        public final Integer call() {
            StorageNode node;
            try {
                node = StorageNode.load(config.file);
            } catch (ConfigException e) {
                err().println("pbx-agent storage: " + config.file + ": " + e.getMessage());
                err().flush();
                return OCF_ERR_CONFIGURED;
            }
            try {
                return act(node);
            } catch (StorageException e) {
                err().println("pbx-agent storage " + spec.name() + ": " + e.getMessage());
                return switch (e.kind()) {
                    case NOT_INSTALLED -> OCF_ERR_INSTALLED;
                    case NOT_CONFIGURED -> OCF_ERR_CONFIGURED;
                    case NOT_RUNNING -> OCF_NOT_RUNNING;
                    case FAILED -> OCF_ERR_GENERIC;
                };
            } finally {
                out().flush();
                err().flush();
            }
        }

        abstract int act(StorageNode node) throws StorageException;
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = "Log in to the SAN (if iscsi.* is set), wait for the device, check and mount it. Idempotent.")
    static final class Start extends Action {
        @Override
        int act(StorageNode node) throws StorageException {
            if (node.iscsi != null) {
                node.iscsi.login();
                node.iscsi.awaitDevice();
            }
            SharedMount.Result r = node.mount.mount();
            out().println((r == SharedMount.Result.ALREADY ? "already mounted: " : "mounted: ")
                    + node.mount.settings().device() + " on "
                    + node.mount.settings().mountPoint());
            return OCF_SUCCESS;
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "End every holder, unmount, verify, then log out of the SAN. Fails while still mounted.")
    static final class Stop extends Action {
        @Override
        int act(StorageNode node) throws StorageException {
            SharedMount.Unmounted r = node.mount.stop();
            if (node.iscsi != null) {
                node.iscsi.logout();
            }
            // Which processes the stop ended, so an operator knows what died with the storage.
            out().println((r.result() == SharedMount.Result.ALREADY ? "already unmounted: " : "unmounted: ")
                    + node.mount.settings().mountPoint()
                    + (r.ended().isEmpty()
                            ? ""
                            : " (ended holders: "
                                    + r.ended().stream()
                                            .map(SharedMount.Ended::toString)
                                            .collect(java.util.stream.Collectors.joining(", "))
                                    + ")"));
            return OCF_SUCCESS;
        }
    }

    @Command(
            name = "monitor",
            mixinStandardHelpOptions = true,
            description = "Probe at OCF check level 0 (mounted, session), 10 (device read) or 20 (write/read-back).")
    static final class Monitor extends Action {
        @Option(names = "--depth", defaultValue = "0", description = "0, 10 or 20 (default ${DEFAULT-VALUE}).")
        int depth;

        @Override
        int act(StorageNode node) {
            if (depth != 0 && depth != 10 && depth != 20) {
                err().println("pbx-agent storage monitor: --depth must be 0, 10 or 20, not " + depth);
                return OCF_ERR_ARGS;
            }
            ProbeReport r = node.probe.run(depth);
            if (r.healthy()) {
                out().println("running: " + r.message() + " (" + r.elapsed().toMillis() + " ms)");
                return OCF_SUCCESS;
            }
            if (r.notRunning()) {
                out().println("not running: " + r.message());
                return OCF_NOT_RUNNING;
            }
            // The time taken says whether the probe kept to its budget, also when it failed.
            err().println("pbx-agent storage monitor: step " + r.failedStep() + " failed: " + r.message() + " ("
                    + r.elapsed().toMillis() + " ms)");
            return OCF_ERR_GENERIC;
        }
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = "Check the node, storage and iscsi sections as the storage commands read them (every"
                    + " problem at once), touching nothing. Exit 0 valid, 6 not.")
    static final class Validate extends Action {
        @Override
        int act(StorageNode node) {
            out().println("valid: " + node.mount.settings().device() + " on "
                    + node.mount.settings().mountPoint() + " ("
                    + node.mount.settings().fsType() + ")");
            return OCF_SUCCESS;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Human-readable state: mount, device, iSCSI sessions. Exit code as monitor --depth 0.")
    static final class Status extends Action {
        @Override
        int act(StorageNode node) throws StorageException {
            PrintWriter o = out();
            o.println("node: " + node.nodeId);
            o.println("device: " + node.mount.settings().device() + " ("
                    + node.mount.settings().fsType() + ")");
            java.util.Optional<MountEntry> m = node.mount.current();
            o.println("mount: " + node.mount.settings().mountPoint() + " "
                    + m.map(e -> "mounted (" + e.options() + ")").orElse("not mounted"));
            if (node.iscsi != null) {
                List<IscsiSession> sessions;
                try {
                    sessions = node.iscsi.sessions();
                    if (sessions.isEmpty()) {
                        o.println("iscsi: no session");
                    }
                    for (IscsiSession s : sessions) {
                        o.println("iscsi: session " + s.sid() + " " + s.portal() + " " + s.sessionState() + " disks="
                                + s.disks());
                    }
                } catch (StorageException e) {
                    o.println("iscsi: unknown (" + e.getMessage() + ")");
                }
            }
            ProbeReport r = node.probe.run(0);
            o.println("health: "
                    + (r.healthy()
                            ? "ok"
                            : r.notRunning() ? "not running" : "failed at " + r.failedStep() + ": " + r.message()));
            return r.healthy() ? OCF_SUCCESS : r.notRunning() ? OCF_NOT_RUNNING : OCF_ERR_GENERIC;
        }
    }
}
