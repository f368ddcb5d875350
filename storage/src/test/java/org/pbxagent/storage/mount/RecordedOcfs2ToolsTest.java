package org.pbxagent.storage.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code mounted.ocfs2 -f} as ocfs2-tools 1.8.7 printed it with two nodes mounted, and after one was fenced. */
class RecordedOcfs2ToolsTest {

    private static String recorded(String name) throws Exception {
        try (InputStream in = RecordedOcfs2ToolsTest.class.getResourceAsStream("/kernel-lab/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void holdersOfAVolumeMountedOnTwoNodesThenOnTheSurvivorOnly() throws Exception {
        assertEquals(
                List.of("nodea", "nodeb"),
                OcfsVolume.parseHolders(recorded("mounted.ocfs2-f-two-nodes.txt"), "/dev/sda"));
        assertEquals(
                List.of("nodea"), OcfsVolume.parseHolders(recorded("mounted.ocfs2-f-after-fence.txt"), "/dev/sda"));
    }
}
