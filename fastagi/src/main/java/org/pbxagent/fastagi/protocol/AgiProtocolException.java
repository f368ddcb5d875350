package org.pbxagent.fastagi.protocol;

/** Bytes on an AGI session that res_agi would never send or accept. */
public class AgiProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public AgiProtocolException(String message) {
        super(message);
    }
}
