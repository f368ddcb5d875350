package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The kernel's mount table (/proc/self/mountinfo). Reading it never touches a device, so it cannot hang on one. */
public final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {}

    public static List<MountEntry> read() throws IOException {
        return parse(Files.readString(MOUNTINFO, StandardCharsets.UTF_8));
    }

    /** The mount table of the namespace a process lives in (its /proc/PID/mountinfo). */
    static List<MountEntry> of(Path procDir) throws IOException {
        return parse(Files.readString(procDir.resolve("mountinfo"), StandardCharsets.UTF_8));
    }

    /** The last (top-most) mount on this path, if any. */
    public static Optional<MountEntry> at(Path mountPoint) throws IOException {
        String want = mountPoint.toAbsolutePath().normalize().toString();
        MountEntry found = null;
        for (MountEntry e : read()) {
            if (e.mountPoint().equals(want)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    static List<MountEntry> parse(String text) {
        List<MountEntry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 10 || dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            String[] mm = f[2].split(":");
            try {
                entries.add(new MountEntry(
                        unescape(f[4]),
                        unescape(f[dash + 2]),
                        f[dash + 1],
                        Integer.parseInt(mm[0]),
                        Integer.parseInt(mm[1]),
                        f[5],
                        Integer.parseInt(f[0]),
                        unescape(f[3])));
            } catch (RuntimeException e) {
                // a line we cannot read is not ours to judge
            }
        }
        return entries;
    }

    /** mountinfo escapes space, tab, newline and backslash as three-digit octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
