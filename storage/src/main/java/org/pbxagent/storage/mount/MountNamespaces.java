package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every mount namespace of the machine, each with one process that lives in it and its mount table: a file system
 * stays mounted (and its device busy) as long as any namespace still shows it, bind mounts and copies made by
 * {@code unshare -m} or a service's private namespace included. Only /proc text is read, never a file system.
 */
final class MountNamespaces {

    /** One namespace: its id (the ns/mnt link), a process in it, its mounts, and whether it is this process's own. */
    record Namespace(String id, long pid, List<MountEntry> mounts, boolean own) {}

    /** A mount of the device, and the namespace that shows it. */
    record Placed(Namespace ns, MountEntry entry) {}

    private MountNamespaces() {}

    static List<Namespace> scan() {
        String own = link(Path.of("/proc/self/ns/mnt"));
        Map<String, Namespace> found = new LinkedHashMap<>();
        try {
            found.put(own, new Namespace(own, ProcessHandle.current().pid(), MountTable.read(), true));
        } catch (IOException e) {
            // no /proc: nothing can be found
            return List.of();
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                long pid = pidOf(proc);
                if (pid < 0) {
                    continue;
                }
                String ns = link(proc.resolve("ns/mnt"));
                if (ns == null || found.containsKey(ns)) {
                    continue;
                }
                try {
                    found.put(ns, new Namespace(ns, pid, MountTable.of(proc), false));
                } catch (IOException e) {
                    // the process went away: its namespace may too
                }
            }
        } catch (IOException e) {
            // /proc unreadable: own namespace only
        }
        return new ArrayList<>(found.values());
    }

    /** Every mount of the file system with these device numbers, in every namespace. */
    static List<Placed> mountsOf(int[] dev) {
        List<Placed> placed = new ArrayList<>();
        for (Namespace ns : scan()) {
            for (MountEntry e : ns.mounts()) {
                if (e.sameDevice(dev)) {
                    placed.add(new Placed(ns, e));
                }
            }
        }
        return placed;
    }

    static long pidOf(Path proc) {
        String name = proc.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
            return -1;
        }
        try {
            return Long.parseLong(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
