package org.pbxagent.storage.mount;

/** One line of /proc/self/mountinfo: where, what (source and device numbers), which type, which options. */
public record MountEntry(String mountPoint, String source, String fsType, int major, int minor, String options) {
}
