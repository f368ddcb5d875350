package org.pbxagent.storage.fence;

import java.util.List;

/** One fence agent parameter as the fence-agents API names it: stdin key, aliases, getopt forms, metadata text. */
record FenceParameter(
        String name,
        List<String> aliases,
        String shortOpt,
        String longOpt,
        boolean required,
        String type,
        String defaultValue,
        String description) {

    static final List<FenceParameter> ALL = List.of(
            new FenceParameter(
                    "action",
                    List.of("option"),
                    "o",
                    "action",
                    true,
                    "string",
                    "off",
                    "Fencing action: off, on, status, list, monitor, metadata, validate-all"),
            new FenceParameter(
                    "plug",
                    List.of("port", "nodename"),
                    "n",
                    "plug",
                    true,
                    "string",
                    null,
                    "Node to fence: a node name from initiator_map, or the node's iSCSI initiator name"),
            new FenceParameter(
                    "ipaddr", List.of("ip"), "a", "ip", true, "string", null, "Address of the SAN node's SSH service"),
            new FenceParameter(
                    "ipport",
                    List.of(),
                    "u",
                    "ipport",
                    false,
                    "integer",
                    "22",
                    "TCP port of the SAN node's SSH service"),
            new FenceParameter(
                    "login",
                    List.of("username"),
                    "l",
                    "username",
                    false,
                    "string",
                    "root",
                    "SSH user on the SAN node (must be allowed to run targetcli or tgtadm)"),
            new FenceParameter(
                    "identity_file",
                    List.of(),
                    "k",
                    "identity-file",
                    true,
                    "string",
                    null,
                    "Private key for SSH key authentication (passwords are not supported)"),
            new FenceParameter(
                    "known_hosts",
                    List.of(),
                    null,
                    "known-hosts",
                    false,
                    "string",
                    "/etc/pbx-agent/san_known_hosts",
                    "known_hosts file holding the SAN's host key; an unknown or changed key is refused"),
            new FenceParameter(
                    "san_type",
                    List.of(),
                    null,
                    "san-type",
                    false,
                    "select",
                    "targetcli",
                    "SAN software: targetcli (LIO) or tgtadm (tgt)"),
            new FenceParameter(
                    "target",
                    List.of(),
                    null,
                    "target",
                    true,
                    "string",
                    null,
                    "iSCSI name (IQN) of the shared target on the SAN"),
            new FenceParameter(
                    "tpg",
                    List.of(),
                    null,
                    "tpg",
                    false,
                    "integer",
                    "1",
                    "LIO target portal group tag (targetcli only)"),
            new FenceParameter(
                    "tgt_control_port",
                    List.of(),
                    null,
                    "tgt-control-port",
                    false,
                    "integer",
                    null,
                    "tgtd control port, passed as tgtadm -C (tgtadm only; default tgtd's own)"),
            new FenceParameter(
                    "initiator_map",
                    List.of(),
                    null,
                    "initiator-map",
                    false,
                    "string",
                    null,
                    "Node names to initiator names: node1=iqn...;node2=iqn..."),
            new FenceParameter(
                    "login_timeout",
                    List.of(),
                    null,
                    "login-timeout",
                    false,
                    "second",
                    "5",
                    "Seconds to wait for the SSH connection and authentication"),
            new FenceParameter(
                    "shell_timeout",
                    List.of(),
                    null,
                    "shell-timeout",
                    false,
                    "second",
                    "5",
                    "Seconds each command on the SAN may take"),
            new FenceParameter(
                    "power_timeout",
                    List.of(),
                    null,
                    "power-timeout",
                    false,
                    "second",
                    "10",
                    "Seconds to get off/on verified on the SAN"),
            new FenceParameter(
                    "delay", List.of(), null, "delay", false, "second", "0", "Seconds to wait before fencing starts"),
            new FenceParameter(
                    "verbose", List.of(), "v", "verbose", false, "boolean", null, "Print each step on stderr"));

    /**
     * A stdin key. As fence-agents' own parser does, the long option's name is accepted too, with {@code _} for
     * {@code -} ({@code ip}, {@code username}, {@code identity-file}, {@code login_timeout} ...).
     */
    static FenceParameter byKey(String key) {
        for (FenceParameter p : ALL) {
            if (p.name.equals(key)
                    || p.aliases.contains(key)
                    || key.equals(p.longOpt)
                    || key.replace('_', '-').equals(p.longOpt)) {
                return p;
            }
        }
        return null;
    }

    static FenceParameter byLong(String opt) {
        for (FenceParameter p : ALL) {
            if (opt.equals(p.longOpt) || opt.equals(p.name) || p.aliases.contains(opt)) {
                return p;
            }
        }
        return null;
    }

    static FenceParameter byShort(String opt) {
        for (FenceParameter p : ALL) {
            if (opt.equals(p.shortOpt)) {
                return p;
            }
        }
        return null;
    }

    boolean isFlag() {
        return type.equals("boolean");
    }
}
