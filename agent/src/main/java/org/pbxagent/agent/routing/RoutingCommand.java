package org.pbxagent.agent.routing;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pbxagent.agent.cli.ConfigLoading;
import org.pbxagent.agent.cli.PbxAgent;
import org.pbxagent.agent.config.AgentConfig;
import org.pbxagent.agent.db.AgentDatabase;
import org.pbxagent.agent.document.RoutingDocument;
import org.pbxagent.agent.document.RoutingDocuments;
import org.pbxagent.agent.document.TenantImport;
import org.pbxagent.fastagi.data.RoutingData;
import org.pbxagent.fastagi.data.RoutingDataReader;
import org.pbxagent.fastagi.data.RoutingSchema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pbx-agent routing export|import}: a tenant's routing as one JSON or YAML document, without SQL. */
@Command(
        name = "routing",
        mixinStandardHelpOptions = true,
        description = "A tenant's routing as one document (JSON or YAML, etc/routing/schema.json).",
        subcommands = {RoutingCommand.Export.class, RoutingCommand.Import.class})
public final class RoutingCommand implements Runnable {
    static final String DEFAULT_CONFIG = "/etc/pbx-agent/pbx-agent.properties";

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            description = "Print a tenant's routing, keyed by names and numbers, with the routing version it was "
                    + "read at. Exit 0, 1 when the DB fails or has no such tenant, 2 on a bad configuration.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--tenant", required = true, paramLabel = "T", description = "the tenant's name")
        String tenant;

        @Option(
                names = "--format",
                defaultValue = "yaml",
                paramLabel = "json|yaml",
                description = "output format (default ${DEFAULT-VALUE})")
        RoutingDocuments.Format format;

        @Option(
                names = {"-c", "--config"},
                defaultValue = DEFAULT_CONFIG,
                paramLabel = "FILE",
                description = "pbx-agent.properties (default ${DEFAULT-VALUE})")
        Path config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AgentConfig c = ConfigLoading.load(config, err);
            if (c == null) {
                return PbxAgent.EXIT_USAGE;
            }
            try (AgentDatabase db = AgentDatabase.open(c.db())) {
                RoutingData data = new RoutingDataReader(db.dataSource()).read();
                if (data.tenants().stream().noneMatch(t -> t.name().equals(tenant))) {
                    err.println("pbx-agent routing export: no tenant " + tenant + " in the DB (tenants: "
                            + String.join(
                                    ", ",
                                    data.tenants().stream()
                                            .map(RoutingData.Tenant::name)
                                            .toList())
                            + ")");
                    return PbxAgent.EXIT_FAILURE;
                }
                out.print(RoutingDocuments.write(RoutingDocuments.toDocument(data, tenant), format));
                out.flush();
                return PbxAgent.EXIT_OK;
            } catch (SQLException | RuntimeException e) {
                err.println("pbx-agent routing export: the DB failed: " + e.getMessage());
                return PbxAgent.EXIT_FAILURE;
            } finally {
                err.flush();
            }
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            description = "Replace each document's tenant's routing by the document's (format from the extension "
                    + ".json, .yaml, .yml), checked first by the routing compiler; several documents (one tenant "
                    + "each) go in together, in one transaction: all or none. Exit 0 when imported or nothing "
                    + "changed, 1 when refused (a refused row, a changed routing version) or the DB failed, 2 on a "
                    + "malformed document or a bad configuration.")
    static final class Import implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE", description = "the routing documents, one tenant each")
        List<Path> files;

        @Option(names = "--dry-run", description = "print what would change and write nothing")
        boolean dryRun;

        @Option(
                names = "--force",
                description = "import even when the DB's routing version is not the "
                        + "document's, or the tenant exists and the document has no version")
        boolean force;

        @Option(
                names = {"-c", "--config"},
                defaultValue = DEFAULT_CONFIG,
                paramLabel = "FILE",
                description = "pbx-agent.properties (default ${DEFAULT-VALUE})")
        Path config;

        @Spec
        CommandSpec spec;

        private static final String NAME = "pbx-agent routing import: ";

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                return importFiles(out, err);
            } finally {
                out.flush();
                err.flush();
            }
        }

        private int importFiles(PrintWriter out, PrintWriter err) {
            // Every document is read and checked before the DB is touched: one malformed file imports nothing.
            List<RoutingDocument> docs = new ArrayList<>();
            Map<String, Path> tenants = new HashMap<>();
            for (Path file : files) {
                RoutingDocument doc = parse(file, err);
                if (doc == null) {
                    return PbxAgent.EXIT_USAGE;
                }
                Path other = tenants.putIfAbsent(doc.tenant(), file);
                if (other != null) {
                    err.println(NAME + file + " and " + other + " are both tenant " + doc.tenant()
                            + "; one document per tenant, nothing imported");
                    return PbxAgent.EXIT_USAGE;
                }
                docs.add(doc);
            }
            AgentConfig c = ConfigLoading.load(config, err);
            if (c == null) {
                return PbxAgent.EXIT_USAGE;
            }
            try (AgentDatabase db = AgentDatabase.open(c.db())) {
                // The daemon migrates at start too; an empty DB gets the schema here so the import can load it.
                RoutingSchema.migrate(db.dataSource());
                TenantImport importer = new TenantImport(db.dataSource());
                List<TenantImport.Plan> plans = new ArrayList<>();
                List<RoutingDocument> changed = new ArrayList<>();
                boolean refused = false;
                for (RoutingDocument doc : docs) {
                    TenantImport.Plan plan = importer.plan(doc, force);
                    plan.refusals().forEach(p -> err.println("refused: " + p));
                    plan.notes().forEach(p -> out.println("note: " + p));
                    if (plan.refused()) {
                        err.println(NAME + "tenant " + plan.tenant() + " not imported: "
                                + plan.refusals().size() + " problem(s) refuse a row");
                        refused = true;
                        continue;
                    }
                    if (plan.diff().isEmpty()) {
                        out.println(
                                "tenant " + plan.tenant() + ": no changes (routing_version " + plan.dbVersion() + ")");
                        continue;
                    }
                    plan.diff().changes().forEach(out::println);
                    if (plan.guard() != null) {
                        err.println(NAME + "refused: " + plan.guard());
                        refused = true;
                        continue;
                    }
                    plans.add(plan);
                    changed.add(doc);
                }
                if (refused) {
                    if (docs.size() > 1) {
                        err.println(NAME + "nothing written: the documents go in together or not at all");
                    } else {
                        err.println(NAME + "nothing written");
                    }
                    return PbxAgent.EXIT_FAILURE;
                }
                if (plans.isEmpty()) {
                    return PbxAgent.EXIT_OK;
                }
                if (dryRun) {
                    for (TenantImport.Plan plan : plans) {
                        out.println("tenant " + plan.tenant() + ": "
                                + plan.diff().changes().size() + " change(s); dry run, nothing written");
                    }
                    return PbxAgent.EXIT_OK;
                }
                long version = importer.apply(plans, changed);
                for (TenantImport.Plan plan : plans) {
                    out.println("tenant " + plan.tenant() + ": "
                            + plan.diff().changes().size() + " change(s) imported (routing_version " + plan.dbVersion()
                            + " -> " + version + ")");
                }
                return PbxAgent.EXIT_OK;
            } catch (TenantImport.Refused e) {
                err.println(NAME + "refused: " + e.getMessage());
                return PbxAgent.EXIT_FAILURE;
            } catch (SQLException | RuntimeException e) {
                err.println(NAME + "the DB failed, nothing written: " + e.getMessage());
                return PbxAgent.EXIT_FAILURE;
            }
        }

        /** The document of {@code file}, or null after printing why it cannot be read. */
        private static RoutingDocument parse(Path file, PrintWriter err) {
            RoutingDocuments.Format format =
                    RoutingDocuments.Format.ofFile(file.getFileName().toString());
            if (format == null) {
                err.println(NAME + file + ": the name must end in .json, .yaml or .yml");
                return null;
            }
            try {
                return RoutingDocuments.parse(Files.readString(file, StandardCharsets.UTF_8), format);
            } catch (IOException e) {
                err.println(NAME + "cannot read " + file + ": " + e.getMessage());
                return null;
            } catch (RoutingDocuments.DocumentException e) {
                for (String p : e.problems()) {
                    err.println(file + ": " + p);
                }
                err.println(NAME + file + " not imported: the document is malformed");
                return null;
            }
        }
    }
}
