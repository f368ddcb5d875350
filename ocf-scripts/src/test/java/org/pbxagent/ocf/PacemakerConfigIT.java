package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped etc/pacemaker/pbx-cluster.crm loads with the real crm shell into a CIB that Pacemaker's own
 * crm_verify accepts, with the agents installed by install.sh (inside a private mount namespace, so the host's
 * /usr is untouched), and holds the choices the cluster depends on.
 */
class PacemakerConfigIT {

    private static OcfSandbox box;
    private static Path staging;
    private static OcfSandbox.Result load;
    private static String cib;
    private static String agents;

    @BeforeAll
    static void loadShippedConfiguration() throws Exception {
        box = new OcfSandbox();
        Path scripts = Path.of(System.getProperty("ocf.scripts.dir", "."));
        staging = box.dir.resolve("staging");
        // DESTDIR goes through the environment, as packagers pass it.
        ProcessBuilder pb =
                new ProcessBuilder("sh", scripts.resolve("install.sh").toString());
        pb.environment().put("DESTDIR", staging.toString());
        OcfSandbox.Result install = OcfSandbox.exec(pb, Duration.ofSeconds(30));
        assertEquals(0, install.rc(), install.stdout() + install.stderr());
        Path etcDefault = Files.createDirectories(box.dir.resolve("etc-default"));
        Files.writeString(etcDefault.resolve("pbx-agent"), "PBX_AGENT_CLASSPATH='" + box.classpath + "'\n");
        Path cibFile = box.dir.resolve("cib.xml");
        Path agentList = box.dir.resolve("agents.txt");
        Path check = box.dir.resolve("check.sh");
        Files.writeString(
                check,
                String.join(
                        "\n",
                        "set -eu",
                        "mount -t overlay overlay -o lowerdir=\"$1/usr/lib/ocf/resource.d:/usr/lib/ocf/resource.d\" /usr/lib/ocf/resource.d",
                        "mount -t overlay overlay -o lowerdir=\"$1/usr/sbin:/usr/sbin\" /usr/sbin",
                        "mount -t overlay overlay -o lowerdir=\"$2:/etc/default\" /etc/default",
                        "cibadmin --empty > \"$3\"",
                        "export CIB_file=\"$3\"",
                        "crm configure load update \"$4\"",
                        "crm_verify --live-check -V",
                        "crm_resource --list-agents ocf:pbx > \"$5\"",
                        ""));
        Path crm = Path.of(System.getProperty("ocf.scripts.dir", "."))
                .resolve("../etc/pacemaker/pbx-cluster.crm")
                .normalize();
        load = OcfSandbox.exec(
                new ProcessBuilder(
                        "unshare",
                        "-m",
                        "--propagation",
                        "private",
                        "sh",
                        check.toString(),
                        staging.toString(),
                        etcDefault.toString(),
                        cibFile.toString(),
                        crm.toString(),
                        agentList.toString()),
                Duration.ofSeconds(120));
        cib = Files.readString(cibFile);
        agents = Files.exists(agentList) ? Files.readString(agentList) : "";
    }

    @AfterAll
    static void cleanUp() throws Exception {
        box.close();
    }

    @Test
    void loadsAndVerifiesWithEveryAgentFound() {
        assertEquals(0, load.rc(), load.stdout() + load.stderr());
        // crm prints ERROR for an agent it cannot find or a parameter the agent does not declare, yet exits 0.
        assertFalse(load.stdout().contains("ERROR") || load.stderr().contains("ERROR"), load.stdout() + load.stderr());
        assertFalse(load.stderr().contains("error:"), load.stderr());
    }

    @Test
    void installPutsEveryAgentWherePacemakerLooks() throws Exception {
        for (String agent : new String[] {"pbx-storage", "pbx-asterisk", "pbx-agent", "pbx-kamailio"}) {
            Path p = staging.resolve("usr/lib/ocf/resource.d/pbx").resolve(agent);
            assertTrue(Files.isExecutable(p) && Files.isReadable(p), p.toString());
        }
        // The library the agents source lies beside them, readable by all and executable by none: Pacemaker lists
        // every executable file of the provider's directory as an agent.
        Path library = staging.resolve("usr/lib/ocf/resource.d/pbx").resolve(OcfSandbox.LIBRARY);
        assertEquals(
                PosixFilePermissions.fromString("rw-r--r--"),
                Files.getPosixFilePermissions(library),
                library.toString());
        assertEquals(
                List.of("pbx-agent", "pbx-asterisk", "pbx-kamailio", "pbx-storage"),
                agents.lines().toList(),
                load.stderr());
        assertTrue(Files.isExecutable(staging.resolve("usr/sbin/fence_pbx_san")));
    }

    @Test
    void clonesStorageThenAsteriskThenTheAgentOnBothNodes() {
        assertTrue(
                cib.matches("(?s).*<clone id=\"cl-pbx\">.*<group id=\"g-pbx\">.*<primitive id=\"p-storage\".*"
                        + "<primitive id=\"p-asterisk\".*</group>.*"),
                cib);
        assertTrue(cib.matches("(?s).*<clone id=\"cl-agent\">.*<primitive id=\"p-agent\".*"), cib);
        assertFalse(
                cib.matches("(?s).*<group id=\"g-pbx\">((?!</group>).)*p-agent.*"),
                "the agent outside the group: an Asterisk restart must not restart it");
        assertTrue(
                cib.matches("(?s).*<rsc_colocation id=\"agent-with-pbx\"[^>]*rsc=\"cl-agent\"[^>]*"
                                + "with-rsc=\"cl-pbx\".*")
                        || cib.matches("(?s).*<rsc_colocation id=\"agent-with-pbx\"[^>]*"
                                + "score=\"INFINITY\"[^>]*rsc=\"cl-agent\"[^>]*with-rsc=\"cl-pbx\".*"),
                cib);
        assertTrue(
                cib.matches("(?s).*<rsc_order id=\"pbx-then-agent\"[^>]*first=\"cl-pbx\"[^>]*then=\"cl-agent\".*"),
                cib);
        assertTrue(cib.matches("(?s).*<rsc_order id=\"pbx-then-agent\"[^>]*kind=\"Optional\".*"), cib);
        assertTrue(cib.contains("name=\"clone-max\" value=\"2\""));
        assertTrue(cib.contains("name=\"interleave\" value=\"true\""));
    }

    @Test
    void restartsInPlaceThenBansAfterTheThirdFailure() {
        assertTrue(cib.contains("name=\"migration-threshold\" value=\"3\""), cib);
        assertTrue(cib.contains("name=\"failure-timeout\" value=\"10min\""), cib);
    }

    @Test
    void fencesFabricStyleThroughTheSan() {
        assertTrue(cib.contains("name=\"stonith-enabled\" value=\"true\""));
        assertTrue(cib.contains("type=\"fence_pbx_san\""));
        assertTrue(cib.contains("name=\"pcmk_reboot_action\" value=\"off\""), "fabric fencing has no reboot");
        assertTrue(cib.contains("name=\"provides\" value=\"unfencing\""), "a returning node must be re-admitted first");
        assertTrue(cib.contains("name=\"no-quorum-policy\" value=\"stop\""));
    }
}
