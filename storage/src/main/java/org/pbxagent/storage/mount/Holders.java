package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every process that holds a file system, found by device, never by path: open files by the mount they are on
 * ({@code mnt_id} in /proc/PID/fdinfo), memory maps by the device numbers the kernel prints in /proc/PID/maps, and
 * working directory, root and executable by the mount that contains them in the process's own mount table
 * (/proc/PID/mountinfo). A process in another mount namespace whose directory has the same path on another file
 * system is no holder. Only /proc is read, never the file system itself, so a hung device cannot block the scan.
 */
public final class Holders {

    private Holders() {}

    /** Holders of whatever is mounted at this path in this process's namespace (none if nothing is). */
    public static List<Holder> of(Path mountPoint) {
        String mp = mountPoint.toAbsolutePath().normalize().toString();
        try {
            MountEntry top = null;
            for (MountEntry e : MountTable.read()) {
                if (e.mountPoint().equals(mp)) {
                    top = e;
                }
            }
            if (top == null) {
                return List.of();
            }
            int[] dev = {top.major(), top.minor()};
            return of(
                    dev,
                    MountNamespaces.mountsOf(dev).stream()
                            .map(p -> p.entry().id())
                            .collect(Collectors.toSet()));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Holders of the file system with these device numbers, whose mounts (in any namespace) have these ids. */
    public static List<Holder> of(int[] dev, Set<Integer> mountIds) {
        long self = ProcessHandle.current().pid();
        String ownNs = MountNamespaces.link(Path.of("/proc/self/ns/mnt"));
        Map<String, List<MountEntry>> tables = new HashMap<>();
        List<Holder> holders = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                long pid = MountNamespaces.pidOf(proc);
                if (pid < 0 || pid == self) {
                    continue;
                }
                String how = holds(proc, dev, mountIds, ownNs, tables);
                if (how != null) {
                    holders.add(new Holder(pid, command(proc), how));
                }
            }
        } catch (IOException e) {
            // no /proc: nothing can be found
        }
        return holders;
    }

    private static String holds(
            Path proc, int[] dev, Set<Integer> mountIds, String ownNs, Map<String, List<MountEntry>> tables) {
        List<MountEntry> table = table(proc, ownNs, tables);
        String root = readLink(proc.resolve("root"));
        if (table != null) {
            for (String link : new String[] {"cwd", "root", "exe"}) {
                MountEntry m = containing(table, relativeTo(readLink(proc.resolve(link)), root));
                if (m != null && (m.sameDevice(dev) || mountIds.contains(m.id()))) {
                    return link;
                }
            }
        }
        // Where the device shows in this process's namespace: only a file below one of these can be on it, so
        // fdinfo (the proof) is read for those alone, which keeps a scan of JVMs with hundreds of jars cheap.
        List<String> ours = table == null
                ? null
                : table.stream()
                        .filter(e -> e.sameDevice(dev) || mountIds.contains(e.id()))
                        .map(MountEntry::mountPoint)
                        .toList();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String target = readLink(fd);
                // sockets, pipes and anonymous inodes live on kernel-internal mounts
                if (target == null || !target.startsWith("/")) {
                    continue;
                }
                String t = relativeTo(target, root);
                if (ours != null
                        && ours.stream()
                                .noneMatch(mp -> under(t, mp)
                                        || under(t + " (deleted)", mp)
                                        || (t.endsWith(" (deleted)") && under(t.substring(0, t.length() - 10), mp)))) {
                    continue;
                }
                Integer mnt = mountIdOf(proc.resolve("fdinfo").resolve(fd.getFileName()));
                if (mnt != null && mountIds.contains(mnt)) {
                    return "fd " + fd.getFileName();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process went away or is not ours to read
        }
        String key = String.format(" %02x:%02x ", dev[0], dev[1]);
        try {
            for (String line : Files.readAllLines(proc.resolve("maps"), StandardCharsets.UTF_8)) {
                if (line.contains(key) && mapsDevice(line, dev)) {
                    return "map";
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or unreadable
        }
        return null;
    }

    /** The process's mount table, read once per namespace. */
    private static List<MountEntry> table(Path proc, String ownNs, Map<String, List<MountEntry>> tables) {
        String ns = MountNamespaces.link(proc.resolve("ns/mnt"));
        if (ns == null) {
            return null;
        }
        return tables.computeIfAbsent(ns, k -> {
            try {
                return k.equals(ownNs) ? MountTable.read() : MountTable.of(proc);
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** A chrooted process's mount table names paths from its root; /proc links name them from ours. */
    static String relativeTo(String path, String root) {
        if (path == null || root == null || root.equals("/")) {
            return path;
        }
        if (path.equals(root)) {
            return "/";
        }
        return path.startsWith(root + "/") ? path.substring(root.length()) : path;
    }

    /** The top-most mount whose mount point is the longest prefix of the path. */
    static MountEntry containing(List<MountEntry> table, String path) {
        if (path == null || !path.startsWith("/")) {
            return null;
        }
        String p = path.endsWith(" (deleted)") ? path.substring(0, path.length() - 10) : path;
        MountEntry best = null;
        for (MountEntry e : table) {
            if (under(p, e.mountPoint())
                    && (best == null
                            || e.mountPoint().length() >= best.mountPoint().length())) {
                best = e;
            }
        }
        return best;
    }

    static boolean under(String path, String mp) {
        if (path == null) {
            return false;
        }
        if (mp.equals("/")) {
            return path.startsWith("/");
        }
        return path.equals(mp)
                || (path.startsWith(mp) && path.length() > mp.length() && path.charAt(mp.length()) == '/');
    }

    /** A maps line "addr perms offset MAJ:MIN inode path" (hex device numbers) of a file on this device. */
    static boolean mapsDevice(String line, int[] dev) {
        String[] f = line.trim().split("\\s+", 6);
        if (f.length < 5 || f[4].equals("0")) {
            return false;
        }
        int colon = f[3].indexOf(':');
        if (colon < 0) {
            return false;
        }
        try {
            return Integer.parseInt(f[3].substring(0, colon), 16) == dev[0]
                    && Integer.parseInt(f[3].substring(colon + 1), 16) == dev[1];
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Integer mountIdOf(Path fdinfo) {
        try {
            for (String line : Files.readAllLines(fdinfo, StandardCharsets.UTF_8)) {
                if (line.startsWith("mnt_id:")) {
                    return Integer.parseInt(line.substring(7).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed meanwhile
        }
        return null;
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm"), StandardCharsets.UTF_8)
                    .strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
