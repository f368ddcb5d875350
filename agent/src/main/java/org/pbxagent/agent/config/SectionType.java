package org.pbxagent.agent.config;

import java.util.function.Function;

/**
 * One configuration section: its key prefix, the settings class it produces, and the reader that builds it from the
 * section's view of the source. The reader records problems on the source; it may also throw
 * {@link IllegalArgumentException} whose message names the key (settings records that validate in their
 * constructor), which is recorded as a problem too.
 */
public record SectionType<T>(String prefix, Class<T> type, Function<ConfigSource, T> reader) {}
