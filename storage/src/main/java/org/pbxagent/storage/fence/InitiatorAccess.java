package org.pbxagent.storage.fence;

/**
 * What the SAN grants one initiator right now: whether its ACL entry exists and how many sessions it still has.
 * Only "no ACL entry and no session" is fenced: a removed ACL with a session still open can still write.
 */
public record InitiatorAccess(boolean inAcl, int liveSessions) {

    public boolean fenced() {
        return !inAcl && liveSessions == 0;
    }

    public boolean allowed() {
        return inAcl;
    }
}
