package org.pbxagent.fastagi.server;

import java.time.Duration;
import org.pbxagent.fastagi.AgiRequest;

/**
 * One FastAGI session as seen by a multi-step {@link AgiScript}. Commands go out lock-step, as res_agi needs: a
 * command sent while another waits for its reply is held back and written when that reply is in; each handler runs,
 * in order, when its reply arrives. Every method must be called on the session's own thread, i.e. from
 * {@link AgiScript#start} or from a reply handler; nothing here blocks.
 */
public interface AgiChannel {
    AgiRequest request();

    /** Sends one command (no line end; one is added) and waits for its reply up to the server's reply timeout. */
    void send(String command, AgiReplyHandler onReply);

    /** As {@link #send(String, AgiReplyHandler)} with its own reply timeout, e.g. for {@code WAIT FOR DIGIT}. */
    void send(String command, Duration replyTimeout, AgiReplyHandler onReply);

    /** Sends {@code SET VARIABLE name "value"}, quoted and escaped the way res_agi parses it. */
    void setVariable(String name, String value, AgiReplyHandler onReply);

    /** Ends the session once every command sent so far has its reply (at once if none is pending). */
    void finish();

    /** True once Asterisk has sent a {@code HANGUP} line: the caller is gone, commands get 511 or dead answers. */
    boolean hungUp();
}
