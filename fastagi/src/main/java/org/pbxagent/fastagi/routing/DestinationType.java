package org.pbxagent.fastagi.routing;

/** What a typed destination reference ({@code dest_type}, {@code dest_ref}) points at. */
public enum DestinationType {
    /** ref: extension number */
    EXTENSION,
    /** ref: extension number whose voicemail box takes the message */
    VOICEMAIL,
    /** ref: ring group number */
    RING_GROUP,
    /** ref: call_queue name */
    QUEUE,
    /** ref: sound file, played and then the call is hung up */
    PLAYBACK,
    /** ref: hangup cause code 1..127 */
    HANGUP,
    /** ref: another inbound route's name */
    ROUTE,
    /** ref: time condition name */
    TIME_CONDITION,
    /** ref: IVR menu name */
    IVR;

    /** @return the type, or null when the text names none */
    static DestinationType parse(String s) {
        if (s == null) {
            return null;
        }
        for (DestinationType t : values()) {
            if (t.name().equalsIgnoreCase(s.trim())) {
                return t;
            }
        }
        return null;
    }
}
