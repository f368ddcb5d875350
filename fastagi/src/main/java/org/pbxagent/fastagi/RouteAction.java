package org.pbxagent.fastagi;

/** Every {@link RouteVariable#ACTION} value an answer can carry; the static dialplan has a branch for each. */
public enum RouteAction {
    DIAL,
    VOICEMAIL,
    QUEUE,
    PLAYBACK,
    HANGUP,
    CONGESTION,
    BUSY,
    /** An IVR menu step: play ROUTE_TARGET, read up to ROUTE_IVR_MAX digits, hand them to the {@code ivr} script. */
    IVR,
    /** Voicemail access (feature codes *97, *98): VoiceMailMain for the box in ROUTE_TARGET (it asks for the PIN). */
    VOICEMAIL_MAIN;

    /** @return the action a {@code ROUTE_ACTION} value names, or null when it names none */
    public static RouteAction of(String value) {
        for (RouteAction a : values()) {
            if (a.name().equals(value)) {
                return a;
            }
        }
        return null;
    }
}
