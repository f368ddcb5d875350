package org.pbxagent.storage.fence;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What the SAN grants one initiator right now: whether an ACL entry names it, how many sessions it still has, the
 * addresses those sessions come from, and the target's address rules (tgt admits a name <em>or</em> an address
 * match). Only "no name entry, no session, no address rule that may admit it" is fenced: a removed name entry with a
 * session still open, or with an address rule that still lets the node log in, can still write.
 */
public record InitiatorAccess(boolean inAcl, int liveSessions, List<String> addresses, List<String> addressRules) {

    public InitiatorAccess {
        addresses = List.copyOf(addresses);
        addressRules = List.copyOf(addressRules);
    }

    public InitiatorAccess(boolean inAcl, int liveSessions) {
        this(inAcl, liveSessions, List.of(), List.of());
    }

    /** The same, knowing addresses the node was seen at earlier in this action (its sessions may be gone now). */
    public InitiatorAccess seenAt(Collection<String> earlier) {
        List<String> all = new ArrayList<>(addresses);
        earlier.stream().filter(a -> !all.contains(a)).forEach(all::add);
        return new InitiatorAccess(inAcl, liveSessions, all, addressRules);
    }

    /** The first address rule that may admit the node (with its address unknown, any rule may), or null. */
    public String admittingAddressAcl() {
        return addressRules.stream()
                .filter(r -> AddressAcl.mayAdmit(r, addresses))
                .findFirst()
                .orElse(null);
    }

    public boolean fenced() {
        return !inAcl && liveSessions == 0 && admittingAddressAcl() == null;
    }

    public boolean allowed() {
        return inAcl;
    }
}
