package org.pbxagent.agent.config;

import java.util.List;

/**
 * Every configuration section the agent knows. Adding a section is one settings class with a static
 * {@code read(ConfigSource)} method plus one line here; its keys then take part in unknown-key detection and in
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
            new SectionType<>(
                    "ami", org.pbxagent.agent.ami.AmiSettings.class, org.pbxagent.agent.ami.AmiSettings::read),
            new SectionType<>(
                    "load", org.pbxagent.agent.load.LoadSettings.class, org.pbxagent.agent.load.LoadSettings::read),
            new SectionType<>(
                    "kamailio",
                    org.pbxagent.agent.balancer.KamailioSettings.class,
                    org.pbxagent.agent.balancer.KamailioSettings::read),
            new SectionType<>(
                    "haproxy",
                    org.pbxagent.agent.balancer.HaproxySettings.class,
                    org.pbxagent.agent.balancer.HaproxySettings::read),
            new SectionType<>(
                    "drain",
                    org.pbxagent.agent.balancer.DrainSettings.class,
                    org.pbxagent.agent.balancer.DrainSettings::read),
            new SectionType<>(
                    "storage",
                    org.pbxagent.agent.storage.StorageSettings.class,
                    org.pbxagent.agent.storage.StorageSettings::read),
            new SectionType<>(
                    "iscsi",
                    org.pbxagent.agent.storage.IscsiSection.class,
                    org.pbxagent.agent.storage.IscsiSection::read));
}
