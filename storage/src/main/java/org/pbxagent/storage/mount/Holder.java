package org.pbxagent.storage.mount;

/** A process that keeps a file system busy, and how: "cwd", "root", "exe", "fd 7" or "map". */
public record Holder(long pid, String command, String how) {}
