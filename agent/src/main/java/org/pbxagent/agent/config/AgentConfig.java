package org.pbxagent.agent.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's whole configuration, built and validated once at start from one properties file. Either every section
 * is valid and no key is unknown, or {@link ConfigException} lists every problem, each naming its key.
 *
 * <p>Sections are looked up by their settings class: {@code config.section(DbSettings.class)}. Which sections a file
 * holds is the caller's list ({@code cli.ConfigSections} lists every section the agent knows): this package only
 * reads and validates.
 */
public final class AgentConfig {
    private final Map<Class<?>, Object> sections;
    private final Path file;

    private AgentConfig(Map<Class<?>, Object> sections, Path file) {
        this.sections = sections;
        this.file = file;
    }

    /**
     * Every key the given sections know, whether set or not (documentation checks: the sample file must list them).
     */
    public static java.util.SortedSet<String> knownKeys(List<SectionType<?>> types) {
        ConfigSource root = ConfigSource.of(Map.of());
        for (SectionType<?> type : types) {
            try {
                // Read for the keys it records in root, not for the settings it builds.
                Object unused = type.reader().apply(root.section(type.prefix()));
            } catch (IllegalArgumentException ignored) {
                // empty values may be refused by a settings constructor; the keys were read before that
            }
        }
        return new java.util.TreeSet<>(root.readKeys());
    }

    /**
     * Reads and validates a properties file (ISO-8859-1 escapes as usual; UTF-8 text is accepted) with the given
     * sections.
     */
    public static AgentConfig load(Path file, List<SectionType<?>> types) {
        return from(readFile(file), file, types);
    }

    /** Builds the given sections only; every key not read by one of them is reported as unknown. */
    public static AgentConfig from(Map<String, String> values, Path file, List<SectionType<?>> types) {
        ConfigSource root = ConfigSource.of(values);
        Map<Class<?>, Object> built = new LinkedHashMap<>();
        for (SectionType<?> type : types) {
            try {
                Object section = type.reader().apply(root.section(type.prefix()));
                if (section != null) {
                    built.put(type.type(), section);
                }
            } catch (IllegalArgumentException e) {
                String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                root.addProblem(msg.startsWith(type.prefix() + ".") ? msg : type.prefix() + ".*: " + msg);
            }
        }
        List<String> problems = new ArrayList<>(root.problems());
        for (String key : root.unreadKeys()) {
            problems.add(key + ": unknown key" + suggestion(key, types));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new AgentConfig(built, file);
    }

    /** Raw key/value pairs of a properties file; a key given twice is a problem (the later one would win silently). */
    public static Map<String, String> readFile(Path file) {
        List<String> duplicates = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        Properties props = new Properties() {
            @Override
            public synchronized Object put(Object key, Object value) {
                if (values.containsKey((String) key)) {
                    duplicates.add(key + ": given more than once in " + file);
                }
                values.put((String) key, (String) value);
                return super.put(key, value);
            }
        };
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of("configuration file " + file + " does not exist"));
        } catch (IOException e) {
            throw new ConfigException(List.of("cannot read configuration file " + file + ": " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    List.of("configuration file " + file + " is not a properties file: " + e.getMessage()));
        }
        if (!duplicates.isEmpty()) {
            throw new ConfigException(duplicates);
        }
        return values;
    }

    public <T> T section(Class<T> type) {
        Object s = sections.get(type);
        if (s == null) {
            throw new IllegalStateException("no configuration section " + type.getSimpleName());
        }
        return type.cast(s);
    }

    public <T> boolean has(Class<T> type) {
        return sections.containsKey(type);
    }

    /** File it was read from, or null when built from values. */
    public Path file() {
        return file;
    }

    public NodeSettings node() {
        return section(NodeSettings.class);
    }

    public DbSettings db() {
        return section(DbSettings.class);
    }

    public RoutingSettings routing() {
        return section(RoutingSettings.class);
    }

    public FastAgiSettings fastagi() {
        return section(FastAgiSettings.class);
    }

    public HttpSettings http() {
        return section(HttpSettings.class);
    }

    public SchedulerSettings scheduler() {
        return section(SchedulerSettings.class);
    }

    /** One line per section, secrets masked; what {@code check-config} prints. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Object s : sections.values()) {
            sb.append(s).append('\n');
        }
        return sb.toString();
    }

    private static String suggestion(String key, List<SectionType<?>> types) {
        int dot = key.indexOf('.');
        String prefix = dot < 0 ? key : key.substring(0, dot);
        for (SectionType<?> t : types) {
            if (t.prefix().equals(prefix)) {
                return " in section " + prefix + ".* (misspelt? see the sample pbx-agent.properties)";
            }
        }
        StringBuilder known = new StringBuilder();
        for (SectionType<?> t : types) {
            known.append(known.length() == 0 ? "" : ", ").append(t.prefix()).append(".*");
        }
        return " (known sections: " + known + ")";
    }
}
