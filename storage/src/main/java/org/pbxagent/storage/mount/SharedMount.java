package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pbxagent.storage.StorageException;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;
import org.pbxagent.storage.command.ProcessCommandRunner;

/**
 * Mounts and unmounts this node's share of the cluster file system. Mount checks first (cluster stack, the file
 * system on the device, who already holds it); unmount ends every holder (TERM, then KILL within the budget),
 * unmounts and verifies the mount is gone. Neither reports success that the mount table does not confirm.
 */
public final class SharedMount {

    public enum Result {
        DONE,
        ALREADY
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
            throw StorageException.failed("mount point " + settings.mountPoint() + " is busy: "
                    + e.get().source() + " (" + e.get().fsType() + ") is mounted there, not " + settings.device());
        }
        if (e.isPresent() && !e.get().root().equals("/")) {
            throw StorageException.failed("mount point " + settings.mountPoint() + " is busy: a bind mount of "
                    + e.get().root() + " of " + settings.device() + " is there, not the whole file system");
        }
        return e;
    }

    private Optional<MountEntry> at() throws StorageException {
        try {
            return MountTable.at(mountPoint());
        } catch (IOException e) {
            throw StorageException.failed("cannot read the mount table: " + e.getMessage());
        }
    }

    /**
     * The mount point as the mount table names it: symbolic links on the way resolved. Its last component is looked
     * at (lstat) only while nothing is mounted on it, so a hung file system is never touched.
     */
    Path mountPoint() throws StorageException {
        Path mp = settings.mountPoint();
        try {
            List<MountEntry> table = MountTable.read();
            for (int hop = 0; hop < 40; hop++) {
                String p = mp.toString();
                if (table.stream().anyMatch(e -> e.mountPoint().equals(p))) {
                    return mp;
                }
                Path next;
                if (Files.isSymbolicLink(mp)) {
                    next = mp.getParent().resolve(Files.readSymbolicLink(mp)).normalize();
                } else {
                    Path parent = mp.getParent();
                    if (parent == null || !Files.exists(parent)) {
                        return mp;
                    }
                    next = parent.toRealPath().resolve(mp.getFileName());
                }
                if (next.equals(mp)) {
                    return mp;
                }
                mp = next;
            }
            throw StorageException.failed("mount point " + settings.mountPoint() + ": too many symbolic links");
        } catch (IOException e) {
            throw StorageException.failed("cannot resolve mount point " + settings.mountPoint() + ": " + e);
        }
    }

    /** Same type, and the same device: by device numbers for a block device, by name otherwise. */
    boolean isOurs(MountEntry e) {
        if (!e.fsType().equals(settings.fsType())) {
            return false;
        }
        int[] dev = DeviceNumbers.of(settings.device());
        if (dev != null) {
            return e.sameDevice(dev);
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
        Path mp = mountPoint();
        try {
            Files.createDirectories(mp);
        } catch (IOException e) {
            throw StorageException.failed("cannot create mount point " + settings.mountPoint() + ": " + e);
        }
        List<String> argv = new java.util.ArrayList<>(List.of("mount", "-t", settings.fsType()));
        if (settings.options() != null && !settings.options().isEmpty()) {
            argv.add("-o");
            argv.add(settings.options());
        }
        argv.add(device);
        argv.add(mp.toString());
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

    /** A holder the stop ended: its pid, command name and the last signal it was sent. */
    public record Ended(long pid, String command, String signal) {
        @Override
        public String toString() {
            return command + "[" + pid + "] " + signal;
        }
    }

    /** How a stop went: done or already, and which holders it ended. */
    public record Unmounted(Result result, List<Ended> ended) {}

    public Result unmount() throws StorageException {
        return stop().result();
    }

    /**
     * Ends every holder, unmounts and verifies. A holder that ignores TERM gets KILL at half the budget; a holder that
     * cannot die (stuck in I/O) leaves the mount busy and the stop fails, so that Pacemaker fences the node.
     * Success means the file system is mounted nowhere (every mount point and bind mount of the device, in every
     * mount namespace) and every umount finished: an umount abandoned at its timeout, stuck in the kernel writing
     * back to a dead device, is a failure even when the mount table no longer shows the mount.
     */
    public Unmounted stop() throws StorageException {
        Optional<MountEntry> here = at();
        if (here.isPresent() && !isOurs(here.get())) {
            current(); // throws: someone else's file system is there
        }
        int[] dev = here.map(e -> new int[] {e.major(), e.minor()}).orElse(DeviceNumbers.of(settings.device()));
        if (dev == null || MountNamespaces.mountsOf(dev).isEmpty()) {
            refuseWhileAnUmountLingers();
            return new Unmounted(Result.ALREADY, List.of());
        }
        long start = System.nanoTime();
        long budget = settings.unmountBudget().toNanos();
        long killAt = start + budget / 2;
        long deadline = start + budget;
        String last = "";
        boolean termSent = false;
        Map<Long, Ended> ended = new LinkedHashMap<>();
        while (true) {
            List<MountNamespaces.Placed> mounts = MountNamespaces.mountsOf(dev);
            if (mounts.isEmpty()) {
                refuseWhileAnUmountLingers();
                return new Unmounted(Result.DONE, List.copyOf(ended.values()));
            }
            Set<Integer> ids = new HashSet<>();
            mounts.forEach(p -> ids.add(p.entry().id()));
            List<Holder> holders = Holders.of(dev, ids);
            long now = System.nanoTime();
            if (holders.isEmpty()) {
                last = umountAll(mounts, deadline);
            } else {
                boolean kill = termSent && now >= killAt;
                for (Holder h : holders) {
                    ProcessHandle.of(h.pid()).ifPresent(p -> {
                        if (kill) {
                            p.destroyForcibly();
                        } else {
                            p.destroy();
                        }
                        ended.put(h.pid(), new Ended(h.pid(), h.command(), kill ? "KILL" : "TERM"));
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
        List<MountNamespaces.Placed> left = MountNamespaces.mountsOf(dev);
        if (left.isEmpty()) {
            refuseWhileAnUmountLingers();
            return new Unmounted(Result.DONE, List.copyOf(ended.values()));
        }
        throw StorageException.failed(settings.device() + " is still mounted (" + where(left) + ") after "
                + settings.unmountBudget().toMillis() + " ms: " + last
                + (ended.isEmpty() ? "" : "; ended " + ended.values()));
    }

    /**
     * One umount per mount of the device, deepest first, in its own namespace ({@code umount -N} for another one).
     * {@code -c}: the path comes from the mount table, and canonicalising it would stat a possibly hung mount.
     */
    private String umountAll(List<MountNamespaces.Placed> mounts, long deadline) throws StorageException {
        List<MountNamespaces.Placed> order = new ArrayList<>(mounts);
        order.sort(Comparator.comparing((MountNamespaces.Placed p) -> !p.ns().own())
                .thenComparing(p -> -p.entry().mountPoint().length()));
        String last = "";
        for (MountNamespaces.Placed p : order) {
            List<String> argv = new ArrayList<>(List.of("umount", "-c"));
            if (!p.ns().own()) {
                argv.add("-N");
                argv.add("/proc/" + p.ns().pid() + "/ns/mnt");
            }
            argv.add(p.entry().mountPoint());
            Duration t = Duration.ofNanos(
                    Math.max(deadline - System.nanoTime(), Duration.ofSeconds(1).toNanos()));
            CommandResult r = runner.run(BoundedCommand.of(t, argv));
            if (r.outcome() == CommandResult.Outcome.NOT_INSTALLED) {
                throw StorageException.of("umount", r);
            }
            if (r.outcome() == CommandResult.Outcome.TIMED_OUT) {
                throw StorageException.failed("umount of " + p.entry().mountPoint() + " did not finish within "
                        + r.elapsed().toMillis() + " ms and was abandoned, stuck in the kernel (writing back to a"
                        + " hung device?): " + settings.device() + " is not released");
            }
            if (!r.ok()) {
                last = "umount " + p.entry().mountPoint() + ": " + r.reason();
            }
        }
        return last;
    }

    /**
     * An umount that an earlier stop abandoned may still sit in the kernel after detaching the mount from every
     * table: the file system then lives on, invisible to mountinfo, until its write-back ends. Never "unmounted" then.
     */
    private void refuseWhileAnUmountLingers() throws StorageException {
        List<String> names = new ArrayList<>(
                List.of(settings.mountPoint().toString(), settings.device().toString()));
        names.add(mountPoint().toString());
        try (var procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                long pid = MountNamespaces.pidOf(proc);
                if (pid < 0 || !ProcessCommandRunner.isRunning(pid)) {
                    continue;
                }
                String comm;
                byte[] cmdline;
                try {
                    comm = Files.readString(proc.resolve("comm")).strip();
                    if (!comm.equals("umount")) {
                        continue;
                    }
                    cmdline = Files.readAllBytes(proc.resolve("cmdline"));
                } catch (IOException e) {
                    continue;
                }
                for (String arg : new String(cmdline, java.nio.charset.StandardCharsets.UTF_8).split("\0")) {
                    if (names.contains(arg)) {
                        throw StorageException.failed("an earlier umount of " + arg + " (pid " + pid
                                + ") is still in the kernel, writing back to " + settings.device()
                                + ": the file system is not released");
                    }
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to find
        }
    }

    private static String where(List<MountNamespaces.Placed> mounts) {
        StringBuilder sb = new StringBuilder();
        for (MountNamespaces.Placed p : mounts) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append("on ").append(p.entry().mountPoint());
            if (!p.entry().root().equals("/")) {
                sb.append(" (bind of ").append(p.entry().root()).append(')');
            }
            if (!p.ns().own()) {
                sb.append(" in the mount namespace of pid ").append(p.ns().pid());
            }
        }
        return sb.toString();
    }

    private static String describe(List<Holder> holders) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(3, holders.size()); i++) {
            Holder h = holders.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(h.command())
                    .append('[')
                    .append(h.pid())
                    .append("] (")
                    .append(h.how())
                    .append(')');
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
