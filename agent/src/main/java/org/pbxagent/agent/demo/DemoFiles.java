package org.pbxagent.agent.demo;

import java.nio.file.Path;
import org.pbxagent.agent.db.FileTrees;

/** Removes the demo's temporary directory. */
final class DemoFiles {
    private DemoFiles() {}

    static void delete(Path root) {
        FileTrees.delete(root);
    }
}
