package org.pbxagent.storage.fence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Parameter handling of the fence agent, as validate-all sees it (no SAN contacted). */
class FenceAgentArgsTest {

    record Run(int rc, String out, String err) {}

    static Run run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new FenceAgent(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static final String VALID = "action=validate-all\nipaddr=127.0.0.1\nidentity_file=/etc/pbx-agent/k\n"
            + "target=iqn.2026-11.org.pbxagent:shared\ninitiator_map=pbx1=iqn.2026-11.org.pbxagent:pbx1\n";

    @Test
    void pacemakersExtraKeysAreAcceptedAndNodenameStandsInForPlug() {
        Run r = run(VALID + "nodename=pbx1\npcmk_host_list=pbx1 pbx2\nCRM_meta_timeout=20000\n");
        assertEquals(0, r.rc(), r.err());
        assertEquals("", r.err());
        Run notMapped = run(VALID + "nodename=pbx9\n");
        assertEquals(1, notMapped.rc());
        assertTrue(notMapped.err().contains("plug 'pbx9' is neither a node in initiator_map"), notMapped.err());
        Run unknown = run(VALID + "plug=pbx1\ncolour=blue\n");
        assertEquals(0, unknown.rc());
        assertTrue(unknown.err().contains("Ignoring unknown option 'colour'"), unknown.err());
    }

    @Test
    void fenceAgentsAliasesOnStdinStandForTheirParameters() {
        // What a stonith resource written for fence-agents' newer names passes: ip, username, port, long options.
        Run r = run("action=validate-all\nip=127.0.0.1\nusername=san\nidentity-file=/etc/pbx-agent/k\n"
                + "target=iqn.2026-11.org.pbxagent:shared\ninitiator_map=pbx1=iqn.2026-11.org.pbxagent:pbx1\n"
                + "port=pbx1\nlogin-timeout=7\n");
        assertEquals(0, r.rc(), r.err());
        assertEquals("", r.err());
        Run badAlias = run(VALID.replace("ipaddr=127.0.0.1\n", "") + "ip=\n");
        assertTrue(badAlias.err().contains("ipaddr is required"), badAlias.err());
        assertTrue(FenceMetadata.xml().contains("<parameter name=\"ip\""), "pcs checks names against metadata");
    }

    @Test
    void optionsInEveryGetoptForm() {
        Run r = run(
                "",
                "-o",
                "validate-all",
                "-a127.0.0.1",
                "--identity-file=/k",
                "--target",
                "iqn.2026-11.org.pbxagent:shared",
                "-n",
                "iqn.2026-11.org.pbxagent:pbx2",
                "-v");
        assertEquals(0, r.rc(), r.err());
        Run bad = run("", "--no-such-option=1");
        assertEquals(1, bad.rc());
        assertTrue(bad.err().contains("unknown option --no-such-option"), bad.err());
        Run missingValue = run("", "-o");
        assertEquals(1, missingValue.rc());
    }

    @Test
    void eachBadParameterIsNamed() {
        assertTrue(run(VALID.replace("ipaddr=127.0.0.1\n", "")).err().contains("ipaddr is required"));
        assertTrue(run(VALID + "san_type=iet\n").err().contains("san_type must be targetcli or tgtadm"));
        assertTrue(run(VALID + "power_timeout=-1\n").err().contains("power_timeout"));
        assertTrue(run(VALID.replace("target=iqn.2026-11.org.pbxagent:shared", "target=shared"))
                .err()
                .startsWith("Failed: target:"));
        assertTrue(run(VALID + "login=root;id\n").err().contains("ipaddr/login"));
        assertEquals(1, run("action=dance\n").rc());
    }

    @Test
    void metadataNeedsNoOtherParameter() {
        Run r = run("action=metadata\n");
        assertEquals(0, r.rc());
        assertTrue(r.out().startsWith("<?xml version=\"1.0\" ?>\n<resource-agent name=\"fence_pbx_san\""));
    }
}
