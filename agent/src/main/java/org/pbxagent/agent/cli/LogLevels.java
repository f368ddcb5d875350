package org.pbxagent.agent.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Short commands (status, check-config, agi-call) log warnings only, so their output stays readable for scripts;
 * the daemon commands raise the level to INFO unless the operator chose a logback configuration or a level.
 */
public final class LogLevels {
    private LogLevels() {}

    public static void daemonDefaults() {
        if (System.getProperty("logback.configurationFile") != null
                || System.getProperty("pbxagent.log.level") != null) {
            return;
        }
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.INFO);
        }
    }
}
