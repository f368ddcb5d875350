package org.pbxagent.agent.scheduler;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Tables of the cluster scheduler (Quartz JDBC store) and its run records, migrated by Flyway from
 * {@code db/agent-scheduler} with their own history table, so they never mix with the routing schema's migrations
 * in the same database.
 */
public final class SchedulerSchema {
    public static final String HISTORY_TABLE = "agent_scheduler_schema_history";

    private SchedulerSchema() {}

    /** Brings the tables up to date; safe from several nodes at once (Flyway takes a DB lock). */
    public static MigrateResult migrate(DataSource ds) {
        return Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/agent-scheduler")
                .table(HISTORY_TABLE)
                // The schema already holds the routing tables; this history starts empty beside them.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }
}
