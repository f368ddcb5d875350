package org.pbxagent.agent.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages in layers (ARCHITECTURE.md, "The agent's packages"): no package uses one of a higher layer,
 * packages of one layer use each other without a cycle, and every package of the main sources has its layer. An
 * import and a fully-qualified name in code count alike; comments and string literals do not.
 */
class PackageLayersTest {
    private static final String BASE = "org.pbxagent.agent";
    private static final Path SOURCES = Path.of("src", "main", "java", "org", "pbxagent", "agent");

    /** Bottom first; a package may use its own layer and those below. Keep in step with ARCHITECTURE.md. */
    static final List<List<String>> LAYERS = List.of(
            List.of("config"),
            List.of("module"),
            List.of("ami", "load", "balancer", "storage", "scheduler", "db", "document", "http"),
            List.of("daemon"),
            List.of("cli"),
            List.of("demo", "routing"),
            List.of("app"));

    private static final Pattern REFERENCE = Pattern.compile("\\b" + Pattern.quote(BASE) + "\\.(\\w+)");

    @Test
    void noPackageUsesOneAboveIt() throws IOException {
        Map<String, Set<String>> uses = readSources(SOURCES);
        assertEquals(List.of(), violations(uses));
    }

    @Test
    void everyLayerPackageHasSources() throws IOException {
        Set<String> present = readSources(SOURCES).keySet();
        for (List<String> layer : LAYERS) {
            for (String p : layer) {
                assertTrue(present.contains(p), "package " + p + " is in the layer table but has no source file");
            }
        }
    }

    @Test
    void theCheckFindsWhatItMust() {
        // A use of a higher layer, by import or by a fully-qualified name in code.
        assertEquals(
                List.of("config uses app, a higher layer", "module uses daemon, a higher layer"),
                violations(Map.of(
                        "config", Set.of("app"),
                        "module", Set.of("config", "daemon"),
                        "daemon", Set.of("config"))));
        // A cycle inside one layer.
        assertEquals(
                List.of("cycle: ami -> load -> ami"), violations(Map.of("ami", Set.of("load"), "load", Set.of("ami"))));
        // A package outside the table, a class in the root package.
        assertEquals(List.of("package cluster has no layer"), violations(Map.of("cluster", Set.of("ami"))));
        assertEquals(
                List.of("app uses a class of the root package " + BASE + " (" + BASE + ".PbxAgent): it has no layer"),
                violations(Map.of("app", Set.of("PbxAgent"))));

        String code = "package " + BASE + ".config;\n"
                + "import " + BASE + ".module.AgentModule;\n"
                + "import static " + BASE + ".cli.PbxAgent.EXIT_OK;\n"
                + "/** {@link " + BASE + ".demo.DemoCommand} */\n"
                + "class X { // " + BASE + ".routing.RoutingCommand\n"
                + "  Object a = new " + BASE + ".daemon.AgentDaemon();\n"
                + "  String s = \"" + BASE + ".http.Json \\\" " + BASE + ".db.AgentDatabase\";\n"
                + "  char c = '\"'; Object b = " + BASE + ".ami.AmiSettings.class;\n"
                + "  String t = \"\"\"\n    " + BASE + ".load.LoadModule\n    \"\"\";\n"
                + "}\n";
        assertEquals(Set.of("module", "cli", "daemon", "ami"), referencedPackages(code));
    }

    /** Each package of the agent's main sources and the packages of the agent it uses. */
    static Map<String, Set<String>> readSources(Path root) throws IOException {
        assertTrue(Files.isDirectory(root), root.toAbsolutePath() + " is not a directory");
        Map<String, Set<String>> uses = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no Java source under " + root.toAbsolutePath());
        for (Path f : files) {
            String code = Files.readString(f, StandardCharsets.UTF_8);
            String pkg = packageOf(code, f);
            uses.computeIfAbsent(pkg, k -> new TreeSet<>()).addAll(referencedPackages(code));
            uses.get(pkg).remove(pkg);
        }
        return uses;
    }

    private static String packageOf(String code, Path file) {
        Matcher m =
                Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE).matcher(stripCommentsAndStrings(code));
        assertTrue(m.find(), file + " has no package declaration");
        String name = m.group(1);
        if (name.equals(BASE)) {
            return "";
        }
        assertTrue(name.startsWith(BASE + "."), file + " is in package " + name);
        String rest = name.substring(BASE.length() + 1);
        return rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
    }

    /** The first name after {@code org.pbxagent.agent.} of every reference in code (a package, or a root class). */
    static Set<String> referencedPackages(String source) {
        String code = stripCommentsAndStrings(source);
        code = code.replaceFirst("(?m)^package\\s+[\\w.]+\\s*;", "");
        Set<String> found = new TreeSet<>();
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** Blanks comments, string and character literals and text blocks, keeping line breaks. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
                keepLineBreaks(out, s, i, end);
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                end = end < 0 ? s.length() : end + 3;
                keepLineBreaks(out, s, i, end);
                out.append("\"\"");
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                out.append(c).append(c);
                i = Math.min(j + 1, s.length());
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void keepLineBreaks(StringBuilder out, String s, int from, int to) {
        for (int k = from; k < to; k++) {
            if (s.charAt(k) == '\n') {
                out.append('\n');
            }
        }
    }

    /** What breaks the layering, in a stable order; empty when nothing does. */
    static List<String> violations(Map<String, Set<String>> uses) {
        Map<String, Integer> layer = new HashMap<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            for (String p : LAYERS.get(i)) {
                layer.put(p, i);
            }
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : new TreeMap<>(uses).entrySet()) {
            String pkg = e.getKey();
            if (!layer.containsKey(pkg)) {
                problems.add(
                        pkg.isEmpty()
                                ? "the root package " + BASE + " holds classes: it has no layer"
                                : "package " + pkg + " has no layer");
                continue;
            }
            for (String used : new TreeSet<>(e.getValue())) {
                if (!used.isEmpty() && Character.isUpperCase(used.charAt(0))) {
                    problems.add(pkg + " uses a class of the root package " + BASE + " (" + BASE + "." + used
                            + "): it has no layer");
                } else if (!layer.containsKey(used)) {
                    problems.add(pkg + " uses " + used + ", a package with no layer");
                } else if (layer.get(used) > layer.get(pkg)) {
                    problems.add(pkg + " uses " + used + ", a higher layer");
                }
            }
        }
        // A cycle across layers has an upward use, reported above; what is left is a cycle inside one layer.
        Map<String, Set<String>> sameLayer = new TreeMap<>();
        uses.forEach((pkg, used) -> {
            for (String u : used) {
                if (layer.containsKey(pkg) && layer.get(pkg).equals(layer.get(u))) {
                    sameLayer.computeIfAbsent(pkg, k -> new TreeSet<>()).add(u);
                }
            }
        });
        problems.addAll(cycles(sameLayer));
        return problems;
    }

    /** One line per cycle found by a depth-first walk, each starting at its smallest package name. */
    private static List<String> cycles(Map<String, Set<String>> uses) {
        Set<String> reported = new TreeSet<>();
        for (String start : new TreeSet<>(uses.keySet())) {
            walk(start, new ArrayList<>(List.of(start)), new HashSet<>(), uses, reported);
        }
        return reported.stream().map(c -> "cycle: " + c).toList();
    }

    private static void walk(
            String at, List<String> path, Set<String> done, Map<String, Set<String>> uses, Set<String> reported) {
        for (String next : new TreeSet<>(uses.getOrDefault(at, Set.of()))) {
            int seen = path.indexOf(next);
            if (seen >= 0) {
                List<String> loop = new ArrayList<>(path.subList(seen, path.size()));
                int min = loop.indexOf(loop.stream().sorted().findFirst().orElseThrow());
                List<String> rotated = new ArrayList<>(loop.subList(min, loop.size()));
                rotated.addAll(loop.subList(0, min));
                rotated.add(rotated.get(0));
                reported.add(String.join(" -> ", rotated));
            } else if (done.add(next)) {
                path.add(next);
                walk(next, path, done, uses, reported);
                path.remove(path.size() - 1);
            }
        }
    }
}
