package org.pbxagent.fastagi.server;

import org.pbxagent.fastagi.protocol.AgiReply;

/** Continuation of an {@link AgiScript}: runs on the session's selector thread when the reply to a command arrives. */
@FunctionalInterface
public interface AgiReplyHandler {
    /** Must not block; may send further commands or finish the session through the channel. */
    void onReply(AgiReply reply);
}
