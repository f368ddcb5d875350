package org.pbxagent.agent.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.pbxagent.agent.ami.AmiSettings;
import org.pbxagent.agent.balancer.DrainSettings;
import org.pbxagent.agent.balancer.HaproxySettings;
import org.pbxagent.agent.balancer.KamailioSettings;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.DbSettings;
import org.pbxagent.agent.config.FastAgiSettings;
import org.pbxagent.agent.config.HttpSettings;
import org.pbxagent.agent.config.NodeSettings;
import org.pbxagent.agent.config.RoutingSettings;
import org.pbxagent.agent.config.SchedulerSettings;
import org.pbxagent.agent.config.SectionType;
import org.pbxagent.agent.load.LoadSettings;
import org.pbxagent.agent.storage.IscsiSection;
import org.pbxagent.agent.storage.StorageSettings;

/**
 * Every configuration section the agent knows, and the agent's configuration file read with all of them. Adding a
 * section is one settings class with a static {@code read(ConfigSource)} method (in the package of the capability
 * it configures) plus one line here; its keys then take part in unknown-key detection and in
 * {@code pbx-agent check-config}.
 */
public final class ConfigSections {
    private ConfigSections() {}

    public static final List<SectionType<?>> ALL = List.of(
            new SectionType<>("node", NodeSettings.class, NodeSettings::read),
            new SectionType<>("db", DbSettings.class, DbSettings::read),
            new SectionType<>("routing", RoutingSettings.class, RoutingSettings::read),
            new SectionType<>("fastagi", FastAgiSettings.class, FastAgiSettings::read),
            new SectionType<>("http", HttpSettings.class, HttpSettings::read),
            new SectionType<>("scheduler", SchedulerSettings.class, SchedulerSettings::read),
            new SectionType<>("ami", AmiSettings.class, AmiSettings::read),
            new SectionType<>("load", LoadSettings.class, LoadSettings::read),
            new SectionType<>("kamailio", KamailioSettings.class, KamailioSettings::read),
            new SectionType<>("haproxy", HaproxySettings.class, HaproxySettings::read),
            new SectionType<>("drain", DrainSettings.class, DrainSettings::read),
            new SectionType<>("storage", StorageSettings.class, StorageSettings::read),
            new SectionType<>("iscsi", IscsiSection.class, IscsiSection::read));

    /** Reads and validates the agent's properties file, every section (ISO-8859-1 escapes; UTF-8 text accepted). */
    public static AgentConfig load(Path file) {
        return AgentConfig.load(file, ALL);
    }

    /** Builds every section from the given values; a key no section reads is a problem. */
    public static AgentConfig from(Map<String, String> values) {
        return AgentConfig.from(values, null, ALL);
    }
}
