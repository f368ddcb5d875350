package org.pbxagent.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.daemon.AgentProcess;

/** The POSIX sh launcher, run by dash (Debian's /bin/sh) as the OCF agents and systemd run it. */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("src", "main", "dist", "pbx-agent");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private Run run(Path launcher, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("dash", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out").toFile())
                .redirectError(dir.resolve("err").toFile());
        pb.environment().remove("PBX_AGENT_HOME");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not finish");
        }
        return new Run(
                p.exitValue(),
                Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @Test
    void findsTheJarThroughPbxAgentHomeAndPassesExitCodesThrough() throws Exception {
        Map<String, String> home = Map.of(
                "PBX_AGENT_HOME",
                AgentProcess.jar().toAbsolutePath().getParent().toString());
        Run version = run(LAUNCHER.toAbsolutePath(), home, "--version");
        assertEquals(0, version.code(), version.err());
        assertTrue(version.out().startsWith("pbx-agent "), version.out());

        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "node.id=pbx1\nfastagi.prot=1\n");
        Run check = run(LAUNCHER.toAbsolutePath(), home, "check-config", "--config", bad.toString());
        assertEquals(2, check.code());
        assertTrue(check.err().contains("fastagi.prot: unknown key"), check.err());
    }

    @Test
    void findsTheJarNextToASymlinkedLauncher() throws Exception {
        // /opt/pbx-agent/bin/pbx-agent symlinked from /usr/local/bin: the jar is found from the link's target.
        Path install = Files.createDirectories(dir.resolve("opt"));
        Files.copy(LAUNCHER, install.resolve("pbx-agent"));
        Files.setPosixFilePermissions(install.resolve("pbx-agent"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(
                install.resolve("pbx-agent.jar"), AgentProcess.jar().toAbsolutePath());
        Path link = dir.resolve("bin-pbx-agent");
        Files.createSymbolicLink(link, install.resolve("pbx-agent"));
        Run r = run(link, Map.of(), "--version");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void saysWhereToPointWhenNoJarIsFound() throws Exception {
        Path alone = Files.createDirectories(dir.resolve("alone")).resolve("pbx-agent");
        Files.copy(LAUNCHER, alone);
        Run r = run(alone, Map.of("PBX_AGENT_HOME", dir.resolve("nothing-here").toString()), "--version");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("PBX_AGENT_HOME"), r.err());
    }
}
