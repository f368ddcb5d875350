package org.pbxagent.storage.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pbxagent.storage.StorageException;

class ParsersTest {

    @Test
    void mountinfoLinesWithOptionalFieldsAndEscapedSpaces() {
        List<MountEntry> e = MountTable.parse(
                "36 35 98:0 / /srv/pbx\\040shared rw,noatime master:1 - ocfs2 /dev/sdb rw,_netdev,heartbeat=local\n"
                        + "87 27 0:42 / /tmp/hm rw,nosuid - fuse.hangfs /tmp/hm/disk rw,user_id=0\n");
        assertEquals("/srv/pbx shared", e.get(0).mountPoint());
        assertEquals("ocfs2", e.get(0).fsType());
        assertEquals(98, e.get(0).major());
        assertEquals("/dev/sdb", e.get(0).source());
        assertEquals("fuse.hangfs", e.get(1).fsType());
    }

    @Test
    void mountedOcfs2NodesColumn() throws Exception {
        String header = "Device                FS     Stack  UUID                              Label\n";
        String full = "Device     Stack  Cluster  F  Nodes\n"
                + "/dev/sdb   o2cb   pbxclus     pbx1, pbx2\n"
                + "/dev/sdc   o2cb   pbxclus     Not mounted\n";
        assertEquals(List.of("pbx1", "pbx2"), OcfsVolume.parseHolders(full, "/dev/sdb"));
        assertEquals(List.of(), OcfsVolume.parseHolders(full, "/dev/sdc"));
        assertThrows(StorageException.class, () -> OcfsVolume.parseHolders(header, "/dev/sdb"));
        // As mounted.ocfs2 printed it for an image file here (o2cb, no cluster name).
        assertEquals(
                List.of(),
                OcfsVolume.parseHolders(
                        "Device   Stack  Cluster  F  Nodes\no2.img   o2cb               Not mounted\n", "o2.img"));
    }

    @Test
    void holderPathsMatchTheMountPointAndBelowOnly() {
        assertTrue(Holders.under("/srv/pbx", "/srv/pbx"));
        assertTrue(Holders.under("/srv/pbx/voicemail/msg0001.wav (deleted)", "/srv/pbx"));
        assertFalse(Holders.under("/srv/pbx2/x", "/srv/pbx"));
        assertFalse(Holders.under(null, "/srv/pbx"));
    }

    @Test
    void blkidExportAndMismatchMessages() {
        FilesystemIdentity id = FilesystemIdentity.parse("DEVNAME=/dev/sdb\nLABEL=pbxshared\n"
                + "UUID=47623128-2f5a-436d-8ff2-74eef7dab3ea\nTYPE=ocfs2\nUSAGE=filesystem\n");
        MountSettings s = new MountSettings(
                java.nio.file.Path.of("/dev/sdb"),
                java.nio.file.Path.of("/srv/pbx"),
                "ocfs2",
                null,
                "pbxshared",
                "476231282F5A436D8FF274EEF7DAB3EA",
                "pbx1",
                java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1));
        assertEquals(null, id.mismatch(s));
        MountSettings other = new MountSettings(
                java.nio.file.Path.of("/dev/sdb"),
                java.nio.file.Path.of("/srv/pbx"),
                "ocfs2",
                null,
                null,
                "00000000-2f5a-436d-8ff2-74eef7dab3ea",
                "pbx1",
                java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1));
        assertTrue(id.mismatch(other).contains("has UUID"));
    }
}
