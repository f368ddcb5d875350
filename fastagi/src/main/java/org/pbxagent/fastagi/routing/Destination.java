package org.pbxagent.fastagi.routing;

/** A validated destination: its type and the name or number it refers to inside the same tenant. */
public record Destination(DestinationType type, String ref) {
    @Override
    public String toString() {
        return type + " " + ref;
    }
}
