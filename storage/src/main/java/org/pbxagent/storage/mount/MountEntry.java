package org.pbxagent.storage.mount;

/**
 * One line of a mountinfo file: where, what (source and device numbers), which type, which options, the mount's
 * system-wide id (what /proc/PID/fdinfo calls mnt_id) and the directory of the file system it shows ("/" for the
 * whole file system, a subdirectory for a bind mount of it).
 */
public record MountEntry(
        String mountPoint, String source, String fsType, int major, int minor, String options, int id, String root) {

    public boolean sameDevice(int[] dev) {
        return dev != null && dev[0] == major && dev[1] == minor;
    }
}
