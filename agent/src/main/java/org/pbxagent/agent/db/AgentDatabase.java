package org.pbxagent.agent.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.pbxagent.agent.config.DbSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared DB as the daemon uses it: one HikariCP pool for routing reads and the cluster scheduler, and, for
 * {@code db.url=embedded}, the local MariaDB behind it. The pool starts even when the DB is down (the routing then
 * serves its snapshot), and every connection carries connect and socket timeouts so nothing waits on a dead DB.
 */
public final class AgentDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentDatabase.class);

    private final HikariDataSource pool;
    private final EmbeddedMariaDb embedded;
    private final String jdbcUrl;

    private AgentDatabase(HikariDataSource pool, EmbeddedMariaDb embedded, String jdbcUrl) {
        this.pool = pool;
        this.embedded = embedded;
        this.jdbcUrl = jdbcUrl;
    }

    public static AgentDatabase open(DbSettings s) {
        return open(s, null);
    }

    /** @param meters where the pool's own figures go ({@code hikaricp_*}); null for none */
    public static AgentDatabase open(DbSettings s, io.micrometer.core.instrument.MeterRegistry meters) {
        EmbeddedMariaDb embedded = s.embedded() ? EmbeddedMariaDb.start(s.embeddedPort(), s.embeddedDataDir()) : null;
        try {
            String url = embedded != null ? embedded.jdbcUrl() : s.url();
            HikariConfig cfg = new HikariConfig();
            cfg.setPoolName("agent-db");
            cfg.setJdbcUrl(url);
            cfg.setUsername(s.user());
            cfg.setPassword(s.password().reveal());
            cfg.setMaximumPoolSize(s.poolMaxSize());
            cfg.setMinimumIdle(s.poolMinIdle());
            cfg.setConnectionTimeout(s.connectTimeout().toMillis());
            cfg.setValidationTimeout(s.validationTimeout().toMillis());
            cfg.setMaxLifetime(s.maxLifetime().toMillis());
            cfg.setIdleTimeout(Math.min(600_000, s.maxLifetime().toMillis() / 2));
            // Driver-level timeouts: a TCP connect or a read on a dead DB must end, not hang a thread.
            cfg.addDataSourceProperty(
                    "connectTimeout", String.valueOf(s.connectTimeout().toMillis()));
            cfg.addDataSourceProperty(
                    "socketTimeout", String.valueOf(s.socketTimeout().toMillis()));
            cfg.addDataSourceProperty("tcpKeepAlive", "true");
            // Start with the DB down: routing serves the disk snapshot and the pool keeps retrying.
            cfg.setInitializationFailTimeout(-1);
            if (meters != null) {
                cfg.setMetricRegistry(meters);
            }
            HikariDataSource pool = new HikariDataSource(cfg);
            log.info(
                    "DB pool for {}{} (user {}, {}..{} connections)",
                    DbSettings.redactUrl(url),
                    embedded != null ? " (embedded)" : "",
                    s.user(),
                    s.poolMinIdle(),
                    s.poolMaxSize());
            return new AgentDatabase(pool, embedded, url);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    public DataSource dataSource() {
        return pool;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** True when a pooled connection answers within the validation timeout. */
    public boolean reachable() {
        try (Connection c = pool.getConnection()) {
            return c.isValid((int) Math.max(1, pool.getValidationTimeout() / 1000));
        } catch (SQLException e) {
            return false;
        }
    }

    public int activeConnections() {
        return pool.getHikariPoolMXBean() == null
                ? 0
                : pool.getHikariPoolMXBean().getActiveConnections();
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
