package org.pbxagent.agent.storage;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.config.NodeSettings;
import org.pbxagent.agent.config.SectionType;
import org.pbxagent.storage.command.CommandRunner;
import org.pbxagent.storage.command.ProcessCommandRunner;
import org.pbxagent.storage.iscsi.IscsiInitiator;
import org.pbxagent.storage.mount.MountSettings;
import org.pbxagent.storage.mount.SharedMount;
import org.pbxagent.storage.probe.StorageProbe;

/**
 * This node's storage, built from the node/storage/iscsi sections of the agent's configuration file: the iSCSI
 * initiator (when configured), the shared mount and the probe. Only those sections are read, so a storage command
 * works even while another part of the file is being edited.
 */
final class StorageNode {

    static final List<SectionType<?>> SECTIONS = List.of(
            new SectionType<>("node", NodeSettings.class, NodeSettings::read),
            new SectionType<>("storage", StorageSettings.class, StorageSettings::read),
            new SectionType<>("iscsi", IscsiSection.class, IscsiSection::read));

    final String nodeId;
    final StorageSettings storage;
    final IscsiInitiator iscsi;
    final SharedMount mount;
    final StorageProbe probe;

    private StorageNode(
            String nodeId, StorageSettings storage, IscsiInitiator iscsi, SharedMount mount, StorageProbe probe) {
        this.nodeId = nodeId;
        this.storage = storage;
        this.iscsi = iscsi;
        this.mount = mount;
        this.probe = probe;
    }

    static StorageNode load(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        AgentConfig.readFile(file).forEach((k, v) -> {
            if (k.startsWith("node.") || k.startsWith("storage.") || k.startsWith("iscsi.")) {
                values.put(k, v);
            }
        });
        AgentConfig config = AgentConfig.from(values, file, SECTIONS);
        if (!config.has(StorageSettings.class)) {
            throw new ConfigException(List.of("storage.mount-point: no storage section in " + file));
        }
        return from(config);
    }

    /** The storage of a configuration that has a storage section (the daemon's, or the file's above). */
    static StorageNode from(AgentConfig config) {
        StorageSettings s = config.section(StorageSettings.class);
        IscsiSection iscsiSection = config.has(IscsiSection.class) ? config.section(IscsiSection.class) : null;
        Path device = s.device();
        if (device == null && iscsiSection != null) {
            var is = iscsiSection.settings();
            device = Path.of(is.byPathDevice(is.portals().get(0)));
        }
        if (device == null) {
            throw new ConfigException(List.of("storage.device: required when there is no iscsi section"));
        }
        String nodeId = config.node().id();
        CommandRunner runner = new ProcessCommandRunner();
        MountSettings ms;
        try {
            ms = new MountSettings(
                    device,
                    s.mountPoint(),
                    s.fsType(),
                    s.mountOptions(),
                    s.label(),
                    s.uuid(),
                    nodeId,
                    s.mountTimeout(),
                    s.unmountBudget());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of("storage.*: " + e.getMessage()));
        }
        IscsiInitiator iscsi = iscsiSection == null ? null : new IscsiInitiator(iscsiSection.settings(), runner);
        SharedMount mount = new SharedMount(ms, runner);
        // Probe I/O children get a short TERM grace: a hung one will not react to TERM anyway.
        CommandRunner probeRunner = new ProcessCommandRunner(java.time.Duration.ofMillis(50));
        StorageProbe probe = new StorageProbe(
                mount, iscsi == null ? null : t -> iscsi.sessionProblem(), probeRunner, nodeId, s.probeBudget());
        return new StorageNode(nodeId, s, iscsi, mount, probe);
    }
}
