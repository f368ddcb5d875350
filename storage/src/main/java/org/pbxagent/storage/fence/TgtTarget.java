package org.pbxagent.storage.fence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One target as {@code tgtadm --lld iscsi --mode target --op show} prints it: its ACL lines and its I_T nexuses
 * (sessions) with their connections.
 */
public record TgtTarget(int tid, String name, List<String> acl, List<Nexus> nexuses) {

    /** One session: its id, the initiator name (lower case), its connection ids and the addresses they come from. */
    public record Nexus(int sid, String initiator, List<Integer> connections, List<String> addresses) {}

    private static final Pattern TARGET = Pattern.compile("^Target (\\d+): (\\S+)\\s*$");
    private static final Pattern SECTION = Pattern.compile("^ {4}(\\S[^:]*):\\s*$");
    private static final Pattern NEXUS = Pattern.compile("^ {8}I_T nexus: (\\d+)\\s*$");
    private static final Pattern NEXUS_INITIATOR = Pattern.compile("^ {12}Initiator: (\\S+)(?: alias: .*)?$");
    private static final Pattern NEXUS_CONNECTION = Pattern.compile("^ {12}Connection: (\\d+)\\s*$");
    private static final Pattern NEXUS_ADDRESS = Pattern.compile("^ {16}IP Address: (\\S+)\\s*$");
    private static final Pattern ACL_ENTRY = Pattern.compile("^ {8}(\\S+)\\s*$");

    /** All targets in the output, by name. */
    public static Map<String, TgtTarget> parse(String showOutput) {
        Map<String, TgtTarget> targets = new LinkedHashMap<>();
        int tid = -1;
        String name = null;
        List<String> acl = null;
        List<Nexus> nexuses = null;
        String section = "";
        int sid = -1;
        String initiator = null;
        List<Integer> conns = null;
        List<String> addrs = null;
        for (String line : showOutput.split("\n", -1)) {
            Matcher m;
            if ((m = TARGET.matcher(line)).matches()) {
                if (name != null) {
                    closeNexus(nexuses, sid, initiator, conns, addrs);
                    targets.put(name, new TgtTarget(tid, name, List.copyOf(acl), List.copyOf(nexuses)));
                }
                tid = Integer.parseInt(m.group(1));
                name = m.group(2).toLowerCase(java.util.Locale.ROOT);
                acl = new ArrayList<>();
                nexuses = new ArrayList<>();
                section = "";
                sid = -1;
                initiator = null;
                conns = null;
            } else if (name == null) {
                continue;
            } else if ((m = SECTION.matcher(line)).matches()) {
                closeNexus(nexuses, sid, initiator, conns, addrs);
                sid = -1;
                initiator = null;
                conns = null;
                section = m.group(1);
            } else if (section.equals("I_T nexus information")) {
                if ((m = NEXUS.matcher(line)).matches()) {
                    closeNexus(nexuses, sid, initiator, conns, addrs);
                    sid = Integer.parseInt(m.group(1));
                    initiator = null;
                    conns = new ArrayList<>();
                    addrs = new ArrayList<>();
                } else if (sid >= 0 && (m = NEXUS_INITIATOR.matcher(line)).matches()) {
                    initiator = m.group(1).toLowerCase(java.util.Locale.ROOT);
                } else if (sid >= 0 && (m = NEXUS_CONNECTION.matcher(line)).matches()) {
                    conns.add(Integer.parseInt(m.group(1)));
                } else if (sid >= 0 && (m = NEXUS_ADDRESS.matcher(line)).matches()) {
                    addrs.add(m.group(1));
                }
            } else if (section.equals("ACL information") && (m = ACL_ENTRY.matcher(line)).matches()) {
                acl.add(m.group(1));
            }
        }
        if (name != null) {
            closeNexus(nexuses, sid, initiator, conns, addrs);
            targets.put(name, new TgtTarget(tid, name, List.copyOf(acl), List.copyOf(nexuses)));
        }
        return targets;
    }

    private static void closeNexus(
            List<Nexus> nexuses, int sid, String initiator, List<Integer> conns, List<String> addrs) {
        if (sid >= 0 && initiator != null) {
            nexuses.add(new Nexus(sid, initiator, List.copyOf(conns), List.copyOf(addrs)));
        }
    }

    /**
     * The name entries that may admit this initiator, exactly as tgt stores them. tgt compares names byte for byte,
     * and a node logs in with its name as configured, in whatever case: every entry equal but for case may be its.
     */
    public List<String> nameEntriesFor(String initiator) {
        return acl.stream()
                .filter(a -> AddressAcl.isName(a) && a.equalsIgnoreCase(initiator))
                .toList();
    }

    public boolean aclGrants(String initiator) {
        return !nameEntriesFor(initiator).isEmpty();
    }

    /** Address rules (ALL, addresses, subnets): tgt admits an initiator whose name or address matches. */
    public List<String> addressEntries() {
        return acl.stream().filter(a -> !AddressAcl.isName(a)).toList();
    }

    /** Addresses the initiator's live sessions come from. */
    public List<String> addressesOf(String initiator) {
        return nexuses.stream()
                .filter(n -> n.initiator().equalsIgnoreCase(initiator))
                .flatMap(n -> n.addresses().stream())
                .distinct()
                .toList();
    }

    /** Every initiator name the target knows: name entries and session initiators. */
    public List<String> initiators() {
        List<String> all =
                new ArrayList<>(acl.stream().filter(AddressAcl::isName).toList());
        nexuses.forEach(n -> all.add(n.initiator()));
        return all;
    }

    public int sessionsOf(String initiator) {
        return (int) nexuses.stream()
                .filter(n -> n.initiator().equalsIgnoreCase(initiator))
                .count();
    }
}
