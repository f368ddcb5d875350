package org.pbxagent.storage.mount;

import java.nio.file.Files;
import java.nio.file.Path;

/** Major and minor numbers of a block device node (following /dev/disk/by-* links), or null if it is not one. */
final class DeviceNumbers {

    private DeviceNumbers() {}

    static int[] of(Path device) {
        try {
            if (!Files.exists(device)) {
                return null;
            }
            Object mode = Files.getAttribute(device, "unix:mode");
            // S_IFBLK
            if (!(mode instanceof Integer m) || (m & 0170000) != 0060000) {
                return null;
            }
            long rdev = ((Number) Files.getAttribute(device, "unix:rdev")).longValue();
            // glibc's gnu_dev_major/minor encoding
            int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
            int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
            return new int[] {major, minor};
        } catch (Exception e) {
            return null;
        }
    }

    static boolean isBlockDevice(Path device) {
        return of(device) != null;
    }
}
