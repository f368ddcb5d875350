package org.pbxagent.agent.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.config.ConfigException;

/** Loads the configuration for a command and prints every problem when it is unusable. */
public final class ConfigLoading {
    private ConfigLoading() {}

    /** @return the configuration, or null after printing the problems to {@code err} */
    public static AgentConfig load(Path file, PrintWriter err) {
        try {
            return ConfigSections.load(file);
        } catch (ConfigException e) {
            err.println("pbx-agent: " + file + ": " + e.getMessage());
            err.flush();
            return null;
        }
    }
}
