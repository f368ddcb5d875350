package org.pbxagent.fastagi.data;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The routing schema, kept by Flyway migrations in {@code db/migration} (MySQL 8 and MariaDB 10.6+). */
public final class RoutingSchema {
    private static final Logger log = LoggerFactory.getLogger(RoutingSchema.class);

    private RoutingSchema() {}

    /**
     * Brings the schema to the newest version. Safe to run from every node at once: Flyway serialises concurrent
     * migrations with a lock in the DB.
     *
     * @throws RoutingDataException naming the failing migration or the connection problem
     */
    public static MigrateResult migrate(DataSource ds) {
        try {
            MigrateResult result = Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .table("routing_schema_history")
                    .baselineOnMigrate(false)
                    .load()
                    .migrate();
            log.info(
                    "routing schema at version {} ({} migration(s) applied)",
                    result.targetSchemaVersion,
                    result.migrationsExecuted);
            return result;
        } catch (RuntimeException e) {
            throw new RoutingDataException("routing schema migration failed: " + rootMessage(e), e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null && !sb.toString().contains(t.getMessage())) {
                sb.append(" <- ").append(t.getMessage());
            }
        }
        return sb.toString();
    }
}
