package org.pbxagent.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.status.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.config.AgentConfig;

/** The shipped logback and systemd files work with the agent as configured by the sample. */
class EtcFilesTest {
    private static final Path ETC = Path.of("..", "etc");

    @Test
    void productionLogbackConfigurationLoadsWithoutWarningsAndOpensItsFile(@TempDir Path logDir) throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.putProperty("pbxagent.log.dir", logDir.toString());
        JoranConfigurator c = new JoranConfigurator();
        c.setContext(ctx);
        c.doConfigure(ETC.resolve("logback.xml").toFile());
        List<Status> errors = ctx.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getLevel() >= Status.WARN)
                .toList();
        assertEquals(List.of(), errors);
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertEquals(ch.qos.logback.classic.Level.INFO, root.getLevel());
        AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC_FILE");
        assertTrue(async.isStarted() && async.isNeverBlock(), "file logging must never block a call thread");
        RollingFileAppender<?> file = (RollingFileAppender<?>) async.getAppender("FILE");
        assertTrue(file.isStarted());
        assertEquals(logDir.resolve("pbx-agent.log").toString(), file.getFile());
        assertTrue(Files.exists(logDir.resolve("pbx-agent.log")));
        ctx.stop();
    }

    @Test
    void systemdWaitsLongerThanTheStopGraceAndRunsTheLauncher() throws Exception {
        String unit = Files.readString(ETC.resolve("systemd").resolve("pbx-agent.service"));
        Matcher m = Pattern.compile("(?m)^TimeoutStopSec=(\\d+)$").matcher(unit);
        assertTrue(m.find(), "TimeoutStopSec missing");
        long stopSec = Long.parseLong(m.group(1));
        Map<String, String> sample = AgentConfig.readFile(ETC.resolve("pbx-agent.properties"));
        long graceMs = Long.parseLong(sample.get("fastagi.shutdown-grace-ms"));
        // Drain pushes and the rest of the stop need a few seconds beyond the FastAGI grace.
        assertTrue(stopSec * 1000 >= graceMs + 10_000, "TimeoutStopSec=" + stopSec + " vs grace " + graceMs + " ms");
        assertTrue(
                unit.contains(
                        "ExecStart=/opt/pbx-agent/bin/pbx-agent run --config " + "/etc/pbx-agent/pbx-agent.properties"),
                unit);
        assertTrue(unit.contains("KillSignal=SIGTERM") && unit.contains("KillMode=mixed"), unit);
        assertTrue(unit.contains("RestartPreventExitStatus=2"), "a bad configuration is not retried");
        assertTrue(!unit.contains("MemoryDenyWriteExecute=yes"), "the JVM's JIT needs W+X memory");
    }
}
