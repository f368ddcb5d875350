package org.pbxagent.fastagi.routing;

import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.pbxagent.fastagi.data.RoutingDataException;
import org.pbxagent.fastagi.data.RoutingDataReader;

/** Reads the routing data and lists what is broken in it (destinations pointing at nothing, loops, bad patterns). */
public final class RoutingConsistencyCheck {
    private RoutingConsistencyCheck() {}

    /**
     * @return one line per problem; empty when the data is consistent
     * @throws RoutingDataException when the DB cannot be read (that is not a data problem)
     */
    public static List<String> run(DataSource ds) {
        try {
            return RoutingCompiler.compile(new RoutingDataReader(ds).read()).problems();
        } catch (RoutingSnapshotException e) {
            return List.of(e.getMessage());
        } catch (SQLException e) {
            throw new RoutingDataException("routing consistency check could not read the DB: " + e.getMessage(), e);
        }
    }
}
