package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/**
 * Mounts and unmounts this node's share of the cluster file system. Mount checks first (cluster stack, the file
 * system on the device, who already holds it); unmount ends every holder (TERM, then KILL within the budget),
 * unmounts and verifies the mount is gone. Neither reports success that the mount table does not confirm.
 */
public final class SharedMount {

    public enum Result {
        DONE, ALREADY
    }

    private final MountSettings settings;
    private final CommandRunner runner;
    private final ClusterStack stack;

    public SharedMount(MountSettings settings, CommandRunner runner) {
        this(settings, runner, new ClusterStack(runner));
    }

    SharedMount(MountSettings settings, CommandRunner runner, ClusterStack stack) {
        this.settings = settings;
        this.runner = runner;
        this.stack = stack;
    }

    public MountSettings settings() {
        return settings;
    }

    /** The mount at the mount point if it is ours (right device, right type); empty if nothing is mounted there. */
    public Optional<MountEntry> current() throws StorageException {
        Optional<MountEntry> e = at();
        if (e.isPresent() && !isOurs(e.get())) {
            throw StorageException.failed("mount point " + settings.mountPoint() + " is busy: " + e.get().source()
                    + " (" + e.get().fsType() + ") is mounted there, not " + settings.device());
        }
        return e;
    }

    private Optional<MountEntry> at() throws StorageException {
        try {
            return MountTable.at(settings.mountPoint());
        } catch (IOException e) {
            throw StorageException.failed("cannot read the mount table: " + e.getMessage());
        }
    }

    /** Same type, and the same device: by device numbers for a block device, by name otherwise. */
    boolean isOurs(MountEntry e) {
        if (!e.fsType().equals(settings.fsType())) {
            return false;
        }
        int[] dev = DeviceNumbers.of(settings.device());
        if (dev != null) {
            return dev[0] == e.major() && dev[1] == e.minor();
        }
        return e.source().equals(settings.device().toString());
    }

    public Result mount() throws StorageException {
        if (current().isPresent()) {
            return Result.ALREADY;
        }
        String device = settings.device().toString();
        if (!Files.exists(settings.device())) {
            throw StorageException.failed("device " + device + " does not exist (iSCSI session not logged in?)");
        }
        Duration t = settings.mountTimeout();
        if (settings.fsType().equals("ocfs2")) {
            String problem = stack.problem(t);
            if (problem != null) {
                throw StorageException.failed("cluster stack offline: " + problem);
            }
        }
        FilesystemIdentity id = FilesystemIdentity.probe(runner, device, t);
        String mismatch = id.mismatch(settings);
        if (mismatch != null) {
            throw new StorageException(StorageException.Kind.NOT_CONFIGURED, "refusing to mount: " + mismatch);
        }
        if (settings.fsType().equals("ocfs2")) {
            checkSlots(device);
        }
        try {
            Files.createDirectories(settings.mountPoint());
        } catch (IOException e) {
            throw StorageException.failed("cannot create mount point " + settings.mountPoint() + ": " + e);
        }
        List<String> argv = new java.util.ArrayList<>(List.of("mount", "-t", settings.fsType()));
        if (settings.options() != null && !settings.options().isEmpty()) {
            argv.add("-o");
            argv.add(settings.options());
        }
        argv.add(device);
        argv.add(settings.mountPoint().toString());
        CommandResult r = runner.run(BoundedCommand.of(t, argv));
        if (!r.ok()) {
            throw StorageException.of("mount " + device + " on " + settings.mountPoint(), r);
        }
        if (current().isEmpty()) {
            throw StorageException.failed("mount reported success but " + settings.mountPoint() + " is not mounted");
        }
        return Result.DONE;
    }

    private void checkSlots(String device) throws StorageException {
        OcfsVolume volume = new OcfsVolume(runner, settings.mountTimeout());
        List<String> holders = volume.holders(device);
        int slots = volume.slots(device);
        boolean self = settings.nodeName() != null && holders.contains(settings.nodeName());
        if (!self && holders.size() >= slots) {
            throw StorageException.failed("all " + slots + " node slots of " + device + " are held by " + holders
                    + ": add slots (tunefs.ocfs2 -N) or stop a node");
        }
    }

    /**
     * Ends every holder, unmounts and verifies. A holder that ignores TERM gets KILL at half the budget; a holder that
     * cannot die (stuck in I/O) leaves the mount busy and the stop fails, so that Pacemaker fences the node.
     */
    public Result unmount() throws StorageException {
        if (current().isEmpty()) {
            return Result.ALREADY;
        }
        long start = System.nanoTime();
        long budget = settings.unmountBudget().toNanos();
        long killAt = start + budget / 2;
        long deadline = start + budget;
        String last = "";
        boolean termSent = false;
        while (true) {
            List<Holder> holders = Holders.of(settings.mountPoint());
            long now = System.nanoTime();
            if (holders.isEmpty()) {
                CommandResult r = runner.run(BoundedCommand.of(
                        Duration.ofNanos(Math.max(deadline - now, Duration.ofSeconds(1).toNanos())),
                        "umount", settings.mountPoint().toString()));
                if (at().isEmpty()) {
                    return Result.DONE;
                }
                if (r.outcome() == CommandResult.Outcome.NOT_INSTALLED) {
                    throw StorageException.of("umount", r);
                }
                last = r.reason();
            } else {
                boolean kill = termSent && now >= killAt;
                for (Holder h : holders) {
                    ProcessHandle.of(h.pid()).ifPresent(p -> {
                        if (kill) {
                            p.destroyForcibly();
                        } else {
                            p.destroy();
                        }
                    });
                }
                termSent = true;
                last = holders.size() + " process(es) still hold it, e.g. " + describe(holders);
            }
            if (System.nanoTime() >= deadline) {
                break;
            }
            sleep(holders.isEmpty() ? 100 : 25);
        }
        if (at().isEmpty()) {
            return Result.DONE;
        }
        throw StorageException.failed(settings.mountPoint() + " is still mounted after "
                + settings.unmountBudget().toMillis() + " ms: " + last);
    }

    private static String describe(List<Holder> holders) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(3, holders.size()); i++) {
            Holder h = holders.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(h.command()).append('[').append(h.pid()).append("] (").append(h.how()).append(')');
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
