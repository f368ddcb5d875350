package org.pbxagent.storage.fence;

import java.util.List;
import org.pbxagent.storage.iscsi.IscsiName;

/** One SAN's way of granting and revoking an initiator's access to the shared target. */
public interface SanBackend {

    /** Fails unless the target exists and can be fenced by initiator name (no allow-all rule). */
    void checkTarget() throws SanAccessException, FenceException;

    InitiatorAccess access(IscsiName initiator) throws SanAccessException, FenceException;

    /** One pass: drop the ACL entry and end the initiator's live sessions. Idempotent; callers verify. */
    void revoke(IscsiName initiator) throws SanAccessException, FenceException;

    /** Put the ACL entry back. Idempotent; callers verify. */
    void restore(IscsiName initiator) throws SanAccessException, FenceException;

    /** The initiator names the target's ACL grants now. */
    List<String> aclEntries() throws SanAccessException, FenceException;
}
