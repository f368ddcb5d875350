package org.pbxagent.agent.document;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The example routing documents of {@code etc/routing/}, which the build packages into the jar: what {@code pbx-agent
 * demo} and {@code run --sample-data} load, through the same import an operator runs, so the demo routes exactly what
 * the examples say.
 */
public final class RoutingExamples {
    /** The documents, in the order they are imported; a test holds this list to {@code etc/routing/*.yaml}. */
    public static final List<String> NAMES = List.of("small-office.yaml", "hosted-alpha.yaml", "hosted-beta.yaml");

    private RoutingExamples() {}

    /** One example as packaged; {@code name} one of {@link #NAMES}. */
    public static RoutingDocument read(String name) {
        try (InputStream in = RoutingExamples.class.getResourceAsStream("examples/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the example routing document " + name + " is not in the jar");
            }
            return RoutingDocuments.parse(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8), RoutingDocuments.Format.YAML);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the example routing document " + name, e);
        }
    }

    /**
     * Imports every example whose tenant the DB does not hold yet; a tenant that exists is left as it is (an operator
     * may have changed it since). Each import is its own transaction.
     *
     * @return one line per example saying what was done
     * @throws IllegalStateException when the import refuses an example (the examples and the compiler disagree)
     */
    public static List<String> load(DataSource ds) throws SQLException {
        TenantImport importer = new TenantImport(ds);
        List<String> done = new ArrayList<>();
        for (String name : NAMES) {
            RoutingDocument doc = read(name);
            TenantImport.Plan plan = importer.plan(doc, false);
            if (plan.tenantExists()) {
                done.add("tenant " + plan.tenant() + ": already in the DB, left as it is");
                continue;
            }
            if (plan.refused() || plan.guard() != null) {
                List<String> why = new ArrayList<>(plan.refusals());
                if (plan.guard() != null) {
                    why.add(plan.guard());
                }
                throw new IllegalStateException("the example " + name + " was refused: " + String.join("; ", why));
            }
            try {
                long version = importer.apply(plan, doc);
                done.add("tenant " + plan.tenant() + ": imported from " + name + " (routing_version " + version + ")");
            } catch (TenantImport.Refused e) {
                throw new IllegalStateException("the example " + name + " was not imported: " + e.getMessage(), e);
            }
        }
        return done;
    }
}
