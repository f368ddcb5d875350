package org.pbxagent.storage.probe;

/** Whether the iSCSI session under the shared device is logged in; null when it is, otherwise why not. */
@FunctionalInterface
public interface SessionCheck {
    String problem(java.time.Duration timeout);
}
