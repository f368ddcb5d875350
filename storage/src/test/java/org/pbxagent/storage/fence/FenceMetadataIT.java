package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.ProcessCommandRunner;

/**
 * Pacemaker's own parser reads the fence agent's metadata. stonith_admin only looks for agents in the fence agent
 * directory, so the test places a uniquely named launcher for fence_pbx_san there and removes it afterwards.
 */
class FenceMetadataIT {

    @Test
    void stonithAdminAcceptsTheMetadata() throws Exception {
        String name = "fence_pbx_san_test" + UUID.randomUUID().toString().substring(0, 8);
        Path launcher = Path.of("/usr/sbin", name);
        Path script =
                Path.of("..", "ocf-scripts", "fence_pbx_san").toAbsolutePath().normalize();
        String body = "#!/bin/sh\nPBX_AGENT_CLASSPATH=" + quote(System.getProperty("java.class.path")) + " exec "
                + quote(script.toString()) + " \"$@\"\n";
        Files.writeString(launcher, body);
        try {
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            CommandResult r = new ProcessCommandRunner()
                    .run(BoundedCommand.of(Duration.ofSeconds(60), "stonith_admin", "--metadata", "--agent", name));
            assertTrue(r.ok(), r.reason() + "\n" + r.stderr());
            String xml = r.stdout();
            // What stonith_admin prints is its own re-serialisation: an unparseable document comes out empty.
            assertTrue(xml.contains("<resource-agent name=\"fence_pbx_san\""), xml);
            for (String p : new String[] {
                "plug", "ipaddr", "identity_file", "known_hosts", "san_type", "target", "initiator_map", "power_timeout"
            }) {
                assertTrue(xml.contains("<parameter name=\"" + p + "\""), "missing parameter " + p + "\n" + xml);
            }
            for (String a : new String[] {"off", "status", "list", "monitor", "metadata", "validate-all"}) {
                assertTrue(xml.contains("<action name=\"" + a + "\""), "missing action " + a);
            }
            assertTrue(xml.contains("<action name=\"on\" automatic=\"1\""), "unfencing must be automatic");
            assertTrue(!xml.contains("<action name=\"reboot\""), "fabric fencing has no reboot");
        } finally {
            Files.deleteIfExists(launcher);
        }
    }

    @Test
    void theMetadataIsWellFormedForXmllint() throws Exception {
        Path file = Files.createTempFile("fence_pbx_san", ".xml");
        try {
            Files.writeString(file, FenceMetadata.xml());
            CommandResult r = new ProcessCommandRunner()
                    .run(BoundedCommand.of(Duration.ofSeconds(30), "xmllint", "--noout", file.toString()));
            assertEquals(0, r.exitCode(), r.stderr());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
