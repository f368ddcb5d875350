package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every process that holds a path under a mount point, found in one pass over /proc: working directory, root,
 * executable, open files and memory maps. Only link names and text files of /proc are read, never the file system
 * itself, so a hung device cannot block the scan.
 */
public final class Holders {

    private Holders() {
    }

    public static List<Holder> of(Path mountPoint) {
        String mp = mountPoint.toAbsolutePath().normalize().toString();
        long self = ProcessHandle.current().pid();
        List<Holder> holders = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                String name = proc.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(name);
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == self) {
                    continue;
                }
                String how = holds(proc, mp);
                if (how != null) {
                    holders.add(new Holder(pid, command(proc), how));
                }
            }
        } catch (IOException e) {
            // no /proc: nothing can be found
        }
        return holders;
    }

    private static String holds(Path proc, String mp) {
        for (String link : new String[] {"cwd", "root", "exe"}) {
            if (under(readLink(proc.resolve(link)), mp)) {
                return link;
            }
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                if (under(readLink(fd), mp)) {
                    return "fd " + fd.getFileName();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process went away or is not ours to read
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("maps"), StandardCharsets.UTF_8)) {
                int slash = line.indexOf('/');
                if (slash > 0 && under(line.substring(slash), mp)) {
                    return "map";
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or unreadable
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

    static boolean under(String path, String mp) {
        if (path == null) {
            return false;
        }
        String p = path.endsWith(" (deleted)") ? path.substring(0, path.length() - 10) : path;
        return p.equals(mp) || (p.startsWith(mp) && p.length() > mp.length() && p.charAt(mp.length()) == '/');
    }

    private static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
