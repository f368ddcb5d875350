package org.pbxagent.storage.fence;

import java.util.List;
import org.pbxagent.storage.iscsi.IscsiName;

/** One SAN's way of granting and revoking an initiator's access to the shared target. */
public interface SanBackend {

    /** Fails unless the target exists and can be fenced by initiator name (no allow-all rule, no demo mode). */
    void checkTarget() throws SanAccessException, FenceException;

    InitiatorAccess access(IscsiName initiator) throws SanAccessException, FenceException;

    /** One pass: drop the ACL entry and end the initiator's live sessions. Idempotent; callers verify. */
    void revoke(IscsiName initiator) throws SanAccessException, FenceException;

    /** Put the ACL entry back. Idempotent; callers verify. */
    void restore(IscsiName initiator) throws SanAccessException, FenceException;

    /** The target's ACL entries as the SAN lists them (names, and for tgt address rules too). */
    List<String> aclEntries() throws SanAccessException, FenceException;

    /** Every initiator name the target knows now (ACL entries and sessions), as the SAN lists them. */
    List<String> initiators() throws SanAccessException, FenceException;
}
