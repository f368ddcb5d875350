package org.pbxagent.agent.document;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.pbxagent.fastagi.data.RoutingData;

/** Reads and writes {@link RoutingDocument}s, and converts them to and from the rows of {@link RoutingData}. */
public final class RoutingDocuments {
    /** JSON or YAML, chosen by the file's extension. */
    public enum Format {
        JSON,
        YAML;

        /** @return the format a file name says, or null when its extension is neither */
        public static Format ofFile(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith(".json")) {
                return JSON;
            }
            return n.endsWith(".yaml") || n.endsWith(".yml") ? YAML : null;
        }
    }

    private static final Pattern HOURS_MINUTES = Pattern.compile("\\d\\d:\\d\\d");

    private static final ObjectMapper JSON = configure(JsonMapper.builder());
    // Every string quoted: unquoted, other YAML 1.1 tools read 17:00:00 as a number and 2026-12-25 as a date.
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .build()));

    private RoutingDocuments() {}

    private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> M configure(B b) {
        // Unknown and repeated keys are refused: a typo must not silently fall back to a default.
        return b.propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .defaultPropertyInclusion(
                        JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .build();
    }

    static ObjectMapper mapper(Format f) {
        return f == Format.YAML ? YAML : JSON;
    }

    public static String write(RoutingDocument doc, Format f) {
        try {
            return mapper(f).writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("routing document not writable: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses and checks a document: syntax, types, unknown keys, required values, duplicate names and numbers.
     *
     * @throws DocumentException naming the place of every problem (line/column or the path in the document)
     */
    public static RoutingDocument parse(String text, Format f) {
        RoutingDocument doc;
        try {
            doc = mapper(f).readValue(text, RoutingDocument.class);
        } catch (JsonMappingException e) {
            throw new DocumentException(List.of(place(e.getLocation(), path(e)) + e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new DocumentException(List.of(place(e.getLocation(), "") + e.getOriginalMessage()));
        }
        if (doc == null) {
            throw new DocumentException(List.of("the document is empty"));
        }
        List<String> problems = check(doc);
        if (!problems.isEmpty()) {
            throw new DocumentException(problems);
        }
        return doc;
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String place(JsonLocation at, String path) {
        StringBuilder sb = new StringBuilder();
        if (at != null && at.getLineNr() > 0) {
            sb.append("line ")
                    .append(at.getLineNr())
                    .append(", column ")
                    .append(at.getColumnNr())
                    .append(": ");
        }
        if (!path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.toString();
    }

    /** A document that cannot be read; each line names where. */
    public static final class DocumentException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        DocumentException(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    // ------------------------------------------------------------------------------------------------ checks

    /** What the DB itself would refuse or what has no default: reported by path before anything else runs. */
    private static List<String> check(RoutingDocument d) {
        List<String> p = new ArrayList<>();
        required(p, "tenant", d.tenant());
        List<RoutingDocument.Extension> ext = list(d.extensions());
        for (int i = 0; i < ext.size(); i++) {
            String at = "extensions[" + i + "]";
            required(p, at + ".number", ext.get(i).number());
            required(p, at + ".endpoint", ext.get(i).endpoint());
        }
        unique(p, "extensions", ext, RoutingDocument.Extension::number, "number");
        List<RoutingDocument.TimeCondition> tcs = list(d.timeConditions());
        for (int i = 0; i < tcs.size(); i++) {
            String at = "time_conditions[" + i + "]";
            RoutingDocument.TimeCondition tc = tcs.get(i);
            required(p, at + ".name", tc.name());
            destination(p, at + ".match", tc.match());
            destination(p, at + ".otherwise", tc.otherwise());
            List<RoutingDocument.TimeRange> ranges = list(tc.ranges());
            for (int j = 0; j < ranges.size(); j++) {
                required(p, at + ".ranges[" + j + "].day_of_week", ranges.get(j).dayOfWeek());
                required(p, at + ".ranges[" + j + "].start", ranges.get(j).start());
                required(p, at + ".ranges[" + j + "].end", ranges.get(j).end());
            }
            List<RoutingDocument.TimeException> xs = list(tc.exceptions());
            for (int j = 0; j < xs.size(); j++) {
                required(p, at + ".exceptions[" + j + "].date", xs.get(j).date());
            }
        }
        unique(p, "time_conditions", tcs, RoutingDocument.TimeCondition::name, "name");
        List<RoutingDocument.RingGroup> groups = list(d.ringGroups());
        for (int i = 0; i < groups.size(); i++) {
            String at = "ring_groups[" + i + "]";
            required(p, at + ".number", groups.get(i).number());
            destination(p, at + ".no_answer", groups.get(i).noAnswer());
            List<String> members = list(groups.get(i).members());
            if (new HashSet<>(members).size() != members.size()) {
                p.add(at + ".members: an extension is listed twice");
            }
        }
        unique(p, "ring_groups", groups, RoutingDocument.RingGroup::number, "number");
        List<RoutingDocument.Queue> queues = list(d.queues());
        for (int i = 0; i < queues.size(); i++) {
            required(p, "queues[" + i + "].name", queues.get(i).name());
            required(p, "queues[" + i + "].asterisk_queue", queues.get(i).asteriskQueue());
            destination(p, "queues[" + i + "].failover", queues.get(i).failover());
        }
        unique(p, "queues", queues, RoutingDocument.Queue::name, "name");
        List<RoutingDocument.InboundRoute> inbound = list(d.inboundRoutes());
        for (int i = 0; i < inbound.size(); i++) {
            required(p, "inbound_routes[" + i + "].name", inbound.get(i).name());
            destination(
                    p, "inbound_routes[" + i + "].destination", inbound.get(i).destination());
        }
        unique(p, "inbound_routes", inbound, RoutingDocument.InboundRoute::name, "name");
        List<RoutingDocument.Trunk> trunks = list(d.trunks());
        for (int i = 0; i < trunks.size(); i++) {
            required(p, "trunks[" + i + "].name", trunks.get(i).name());
            required(p, "trunks[" + i + "].dial_string", trunks.get(i).dialString());
        }
        unique(p, "trunks", trunks, RoutingDocument.Trunk::name, "name");
        List<RoutingDocument.OutboundRoute> outbound = list(d.outboundRoutes());
        for (int i = 0; i < outbound.size(); i++) {
            String at = "outbound_routes[" + i + "]";
            required(p, at + ".name", outbound.get(i).name());
            List<RoutingDocument.DialPattern> patterns = list(outbound.get(i).patterns());
            for (int j = 0; j < patterns.size(); j++) {
                required(p, at + ".patterns[" + j + "].pattern", patterns.get(j).pattern());
            }
        }
        unique(p, "outbound_routes", outbound, RoutingDocument.OutboundRoute::name, "name");
        List<RoutingDocument.BlockedCaller> blocked = list(d.blockedCallers());
        for (int i = 0; i < blocked.size(); i++) {
            required(p, "blocked_callers[" + i + "].pattern", blocked.get(i).pattern());
        }
        unique(p, "blocked_callers", blocked, b -> plainNumber(b.pattern()), "pattern");
        List<RoutingDocument.IvrMenu> menus = list(d.ivrMenus());
        for (int i = 0; i < menus.size(); i++) {
            String at = "ivr_menus[" + i + "]";
            required(p, at + ".name", menus.get(i).name());
            required(p, at + ".prompt", menus.get(i).prompt());
            destination(p, at + ".invalid", menus.get(i).invalid());
            destination(p, at + ".timeout", menus.get(i).timeout());
            List<RoutingDocument.IvrOption> options = list(menus.get(i).options());
            for (int j = 0; j < options.size(); j++) {
                required(p, at + ".options[" + j + "].digits", options.get(j).digits());
                destination(
                        p,
                        at + ".options[" + j + "].destination",
                        options.get(j).destination());
            }
            unique(p, at + ".options", options, RoutingDocument.IvrOption::digits, "digits");
        }
        unique(p, "ivr_menus", menus, RoutingDocument.IvrMenu::name, "name");
        callClassProblems(p, d);
        return p;
    }

    private static void required(List<String> p, String path, Object value) {
        if (value == null || value instanceof String s && s.isBlank()) {
            p.add(path + ": missing (required)");
        }
    }

    private static void destination(List<String> p, String path, RoutingDocument.Destination d) {
        if (d == null) {
            p.add(path + ": missing (required)");
            return;
        }
        required(p, path + ".type", d.type());
        required(p, path + ".ref", d.ref());
    }

    private static <T> void unique(List<String> p, String list, List<T> rows, Function<T, String> key, String field) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            String k = key.apply(rows.get(i));
            if (k != null && !seen.add(k)) {
                p.add(list + "[" + i + "]." + field + ": " + k + " appears more than once");
            }
        }
    }

    static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    // ------------------------------------------------------------------------------------------------ conversion

    /**
     * The document's rows as the DB would hold and read them back: the DB's defaults for missing values, times as
     * {@code HH:mm:ss}, ranges and dated exceptions in the reader's order. Comparing two of these is comparing
     * what the DB would hold.
     */
    public static RoutingData toRows(RoutingDocument d, long version) {
        String t = d.tenant();
        String zone = d.timeZone() == null || d.timeZone().isBlank() ? "UTC" : d.timeZone();
        List<RoutingData.Extension> ext = list(d.extensions()).stream()
                .map(e -> new RoutingData.Extension(
                        t,
                        e.number(),
                        e.endpoint(),
                        e.displayName(),
                        e.voicemailBox(),
                        Boolean.TRUE.equals(e.dnd()),
                        e.forwardAlways(),
                        e.forwardBusy(),
                        e.forwardNoAnswer(),
                        or(e.ringTime(), 20),
                        or(e.callLimit(), 0),
                        e.outboundCallerId()))
                .toList();
        List<RoutingData.TimeCondition> tcs = list(d.timeConditions()).stream()
                .map(c -> new RoutingData.TimeCondition(
                        t,
                        c.name(),
                        c.timeZone(),
                        dest(c.match()),
                        dest(c.otherwise()),
                        list(c.ranges()).stream()
                                .map(r -> new RoutingData.TimeRange(r.dayOfWeek(), time(r.start()), time(r.end())))
                                .sorted(Comparator.comparingInt(RoutingData.TimeRange::dayOfWeek)
                                        .thenComparing(RoutingData.TimeRange::start))
                                .toList(),
                        list(c.exceptions()).stream()
                                .map(x -> new RoutingData.TimeException(
                                        x.date(),
                                        Boolean.TRUE.equals(x.open()),
                                        x.name(),
                                        time(x.start()),
                                        time(x.end())))
                                .sorted(Comparator.comparing(RoutingData.TimeException::date)
                                        .thenComparing(
                                                RoutingData.TimeException::start,
                                                Comparator.nullsFirst(Comparator.naturalOrder())))
                                .toList()))
                .toList();
        List<RoutingData.RingGroup> groups = list(d.ringGroups()).stream()
                .map(g -> new RoutingData.RingGroup(
                        t,
                        g.number(),
                        g.name(),
                        g.strategy() == null ? "RINGALL" : g.strategy(),
                        or(g.ringTime(), 20),
                        dest(g.noAnswer()),
                        list(g.members())))
                .toList();
        List<RoutingData.CallQueue> queues = list(d.queues()).stream()
                .map(q -> new RoutingData.CallQueue(
                        t, q.name(), q.asteriskQueue(), or(q.maxWait(), 300), dest(q.failover())))
                .toList();
        List<RoutingData.InboundRoute> inbound = list(d.inboundRoutes()).stream()
                .map(r -> new RoutingData.InboundRoute(
                        t,
                        r.name(),
                        plainNumber(r.didPattern()),
                        plainNumber(r.callerIdPattern()),
                        or(r.priority(), 100),
                        dest(r.destination())))
                .toList();
        List<RoutingData.Trunk> trunks = list(d.trunks()).stream()
                .map(k -> new RoutingData.Trunk(t, k.name(), k.dialString()))
                .toList();
        List<RoutingData.OutboundRoute> outbound = list(d.outboundRoutes()).stream()
                .map(o -> new RoutingData.OutboundRoute(
                        t,
                        o.name(),
                        or(o.priority(), 100),
                        o.callerIdNumber(),
                        o.callerIdName(),
                        or(o.ringTime(), 120),
                        list(o.patterns()).stream()
                                .map(p -> new RoutingData.DialPattern(
                                        p.pattern(), or(p.strip(), 0), p.prepend() == null ? "" : p.prepend()))
                                .toList(),
                        list(o.trunks())))
                .toList();
        List<RoutingData.BlockedCaller> blocked = list(d.blockedCallers()).stream()
                .map(b -> new RoutingData.BlockedCaller(t, plainNumber(b.pattern()), b.reason()))
                .toList();
        List<RoutingData.IvrMenu> menus = list(d.ivrMenus()).stream()
                .map(m -> new RoutingData.IvrMenu(
                        t,
                        m.name(),
                        m.prompt(),
                        m.invalidPrompt(),
                        m.timeoutPrompt(),
                        or(m.digitTimeout(), 5),
                        or(m.invalidRetries(), 2),
                        or(m.timeoutRetries(), 2),
                        Boolean.TRUE.equals(m.directDial()),
                        dest(m.invalid()),
                        dest(m.timeout()),
                        list(m.options()).stream()
                                .map(o -> new RoutingData.IvrOption(o.digits(), dest(o.destination())))
                                .sorted(Comparator.comparing(RoutingData.IvrOption::digits))
                                .toList()))
                .toList();
        return new RoutingData(
                version,
                0L,
                List.of(new RoutingData.Tenant(t, zone)),
                withCallClasses(ext, d),
                tcs,
                groups,
                queues,
                inbound,
                trunks,
                outbound,
                blocked,
                menus,
                callClassRows(d));
    }

    private static void callClassProblems(List<String> p, RoutingDocument d) {
        List<RoutingDocument.CallClass> classes = list(d.callClasses());
        for (int i = 0; i < classes.size(); i++) {
            required(p, "call_classes[" + i + "].name", classes.get(i).name());
        }
        unique(p, "call_classes", classes, RoutingDocument.CallClass::name, "name");
    }

    /** The extensions' rows with the class each names. */
    private static List<RoutingData.Extension> withCallClasses(List<RoutingData.Extension> rows, RoutingDocument d) {
        List<RoutingDocument.Extension> docs = list(d.extensions());
        List<RoutingData.Extension> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            out.add(rows.get(i).withCallClass(blankToNull(docs.get(i).callClass())));
        }
        return out;
    }

    /** Call classes as the DB reads them back: routes once each, by name. */
    private static List<RoutingData.CallClass> callClassRows(RoutingDocument d) {
        return list(d.callClasses()).stream()
                .map(k -> new RoutingData.CallClass(
                        d.tenant(),
                        k.name(),
                        blankToNull(k.refusalPrompt()),
                        new java.util.TreeSet<>(list(k.routes())).stream().toList()))
                .sorted(Comparator.comparing(RoutingData.CallClass::name))
                .toList();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** The document with the tenant's call classes of {@code data}, and the class each extension names. */
    private static RoutingDocument withCallClasses(RoutingDocument doc, RoutingData data, String tenant) {
        Map<String, String> classOf = new java.util.HashMap<>();
        for (RoutingData.Extension e : data.extensions()) {
            if (tenant.equals(e.tenant()) && e.callClass() != null) {
                classOf.put(e.number(), e.callClass());
            }
        }
        List<RoutingDocument.Extension> ext = doc.extensions().stream()
                .map(e -> new RoutingDocument.Extension(
                        e.number(),
                        e.endpoint(),
                        e.displayName(),
                        e.voicemailBox(),
                        e.dnd(),
                        e.forwardAlways(),
                        e.forwardBusy(),
                        e.forwardNoAnswer(),
                        e.ringTime(),
                        e.callLimit(),
                        e.outboundCallerId(),
                        classOf.get(e.number())))
                .toList();
        List<RoutingDocument.CallClass> classes = data.callClasses().stream()
                .filter(k -> tenant.equals(k.tenant()))
                .map(k -> new RoutingDocument.CallClass(k.name(), k.refusalPrompt(), k.routes()))
                .toList();
        return new RoutingDocument(
                doc.routingVersion(),
                doc.tenant(),
                doc.timeZone(),
                ext,
                doc.timeConditions(),
                doc.ringGroups(),
                doc.queues(),
                doc.inboundRoutes(),
                doc.trunks(),
                doc.outboundRoutes(),
                doc.blockedCallers(),
                doc.ivrMenus(),
                classes.isEmpty() ? null : classes);
    }

    /** The tenant's rows of {@code data} as a document stamped with the version they were read at. */
    public static RoutingDocument toDocument(RoutingData data, String tenant) {
        RoutingData.Tenant t = data.tenants().stream()
                .filter(x -> x.name().equals(tenant))
                .findFirst()
                .orElseThrow();
        RoutingDocument doc = new RoutingDocument(
                data.version(),
                t.name(),
                t.timeZone(),
                data.extensions().stream()
                        .filter(e -> tenant.equals(e.tenant()))
                        .map(e -> new RoutingDocument.Extension(
                                e.number(),
                                e.endpoint(),
                                e.displayName(),
                                e.voicemailBox(),
                                e.dnd(),
                                e.forwardAlways(),
                                e.forwardBusy(),
                                e.forwardNoAnswer(),
                                e.ringTime(),
                                e.callLimit(),
                                e.outboundCallerId()))
                        .toList(),
                data.timeConditions().stream()
                        .filter(c -> tenant.equals(c.tenant()))
                        .map(c -> new RoutingDocument.TimeCondition(
                                c.name(),
                                c.timeZone(),
                                dest(c.match()),
                                dest(c.otherwise()),
                                c.ranges().stream()
                                        .map(r -> new RoutingDocument.TimeRange(r.dayOfWeek(), r.start(), r.end()))
                                        .toList(),
                                c.exceptions().stream()
                                        .map(x -> new RoutingDocument.TimeException(
                                                x.date(), x.open(), x.name(), x.start(), x.end()))
                                        .toList()))
                        .toList(),
                data.ringGroups().stream()
                        .filter(g -> tenant.equals(g.tenant()))
                        .map(g -> new RoutingDocument.RingGroup(
                                g.number(), g.name(), g.strategy(), g.ringTime(), dest(g.noAnswer()), g.members()))
                        .toList(),
                data.queues().stream()
                        .filter(q -> tenant.equals(q.tenant()))
                        .map(q ->
                                new RoutingDocument.Queue(q.name(), q.asteriskQueue(), q.maxWait(), dest(q.failover())))
                        .toList(),
                data.inboundRoutes().stream()
                        .filter(r -> tenant.equals(r.tenant()))
                        .map(r -> new RoutingDocument.InboundRoute(
                                r.name(), r.didPattern(), r.callerIdPattern(), r.priority(), dest(r.destination())))
                        .toList(),
                data.trunks().stream()
                        .filter(k -> tenant.equals(k.tenant()))
                        .map(k -> new RoutingDocument.Trunk(k.name(), k.dialString()))
                        .toList(),
                data.outboundRoutes().stream()
                        .filter(o -> tenant.equals(o.tenant()))
                        .map(o -> new RoutingDocument.OutboundRoute(
                                o.name(),
                                o.priority(),
                                o.callerIdNumber(),
                                o.callerIdName(),
                                o.ringTime(),
                                o.patterns().stream()
                                        .map(p -> new RoutingDocument.DialPattern(p.pattern(), p.strip(), p.prepend()))
                                        .toList(),
                                o.trunks()))
                        .toList(),
                data.blockedCallers().stream()
                        .filter(b -> tenant.equals(b.tenant()))
                        .map(b -> new RoutingDocument.BlockedCaller(b.pattern(), b.reason()))
                        .toList(),
                data.ivrMenus().stream()
                        .filter(m -> tenant.equals(m.tenant()))
                        .map(m -> new RoutingDocument.IvrMenu(
                                m.name(),
                                m.prompt(),
                                m.invalidPrompt(),
                                m.timeoutPrompt(),
                                m.digitTimeout(),
                                m.invalidRetries(),
                                m.timeoutRetries(),
                                m.directDial(),
                                dest(m.invalid()),
                                dest(m.timeout()),
                                m.options().stream()
                                        .map(o -> new RoutingDocument.IvrOption(o.digits(), dest(o.destination())))
                                        .toList()))
                        .toList());
        return withCallClasses(doc, data, tenant);
    }

    /**
     * A plain value (no leading {@code _}) written with {@code -} separators, as Asterisk reads it: without them
     * ({@code 555-1234} is {@code 5551234}). Patterns, values without {@code -} and values of {@code -} only (which
     * the compiler refuses) are kept as written.
     */
    static String plainNumber(String s) {
        if (s == null || s.startsWith("_") || s.indexOf('-') < 0) {
            return s;
        }
        String n = s.replace("-", "");
        return n.isBlank() ? s : n;
    }

    /**
     * One note per plain DID, caller ID or blocked number of the document written with {@code -}: the import
     * stores it without them ({@link #toRows}), and the note names the row and both values.
     */
    public static List<String> separatorNotes(RoutingDocument d) {
        List<String> notes = new ArrayList<>();
        String t = "tenant " + d.tenant() + ": ";
        List<RoutingDocument.InboundRoute> inbound = list(d.inboundRoutes());
        for (int i = 0; i < inbound.size(); i++) {
            RoutingDocument.InboundRoute r = inbound.get(i);
            separatorNote(
                    notes,
                    t + "inbound route " + r.name() + " (inbound_routes[" + i + "].did_pattern)",
                    r.didPattern());
            separatorNote(
                    notes,
                    t + "inbound route " + r.name() + " (inbound_routes[" + i + "].caller_id_pattern)",
                    r.callerIdPattern());
        }
        List<RoutingDocument.BlockedCaller> blocked = list(d.blockedCallers());
        for (int i = 0; i < blocked.size(); i++) {
            separatorNote(
                    notes,
                    t + "blocked caller " + blocked.get(i).pattern() + " (blocked_callers[" + i + "].pattern)",
                    blocked.get(i).pattern());
        }
        return notes;
    }

    private static void separatorNote(List<String> notes, String what, String value) {
        String n = plainNumber(value);
        if (n != null && !n.equals(value)) {
            notes.add(what + ": '" + value + "' stored as " + n + " ('-' is a separator, as in Asterisk)");
        }
    }

    private static int or(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    private static RoutingData.Destination dest(RoutingDocument.Destination d) {
        return new RoutingData.Destination(d.type(), d.ref());
    }

    private static RoutingDocument.Destination dest(RoutingData.Destination d) {
        return new RoutingDocument.Destination(d.type(), d.ref());
    }

    /** {@code 09:00} as the DB gives it back ({@code 09:00:00}); anything else as written, for the compiler to judge. */
    private static String time(String s) {
        return s != null && HOURS_MINUTES.matcher(s).matches() ? s + ":00" : s;
    }
}
