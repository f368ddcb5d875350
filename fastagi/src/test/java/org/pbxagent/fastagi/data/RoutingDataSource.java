package org.pbxagent.fastagi.data;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The tests' pool for the routing DB, with timeouts short enough that a dead DB is noticed within about a second and a
 * refresh never hangs. The daemon's pool is the agent's ({@code AgentDatabase}); the module itself takes any
 * {@code DataSource}, so HikariCP and the driver are test dependencies here.
 */
final class RoutingDataSource {
    private RoutingDataSource() {}

    /**
     * @param jdbcUrl e.g. {@code jdbc:mysql://db:3306/pbx}; connect and socket timeouts are added unless present
     */
    static HikariDataSource create(String jdbcUrl, String user, String password) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException("routing DB url must be a jdbc: URL, got " + jdbcUrl);
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("routing-db");
        cfg.setJdbcUrl(withDefaults(jdbcUrl));
        if (jdbcUrl.startsWith("jdbc:mysql:")) {
            // name the driver: DriverManager lookup fails under class loaders that hide the driver's service entry
            cfg.setDriverClassName("com.mysql.cj.jdbc.Driver");
        }
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(2);
        cfg.setMinimumIdle(0);
        cfg.setConnectionTimeout(1000);
        cfg.setValidationTimeout(500);
        cfg.setIdleTimeout(60_000);
        cfg.setMaxLifetime(600_000);
        // Start even when the DB is down: the service then serves the disk snapshot and keeps retrying.
        cfg.setInitializationFailTimeout(-1);
        return new HikariDataSource(cfg);
    }

    static String withDefaults(String url) {
        StringBuilder sb = new StringBuilder(url);
        char sep = url.indexOf('?') >= 0 ? '&' : '?';
        for (String[] kv : new String[][] {{"connectTimeout", "1000"}, {"socketTimeout", "5000"}}) {
            if (!url.contains(kv[0] + "=")) {
                sb.append(sep).append(kv[0]).append('=').append(kv[1]);
                sep = '&';
            }
        }
        return sb.toString();
    }
}
