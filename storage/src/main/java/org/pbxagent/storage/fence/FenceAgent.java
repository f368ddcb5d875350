package org.pbxagent.storage.fence;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * The fence agent {@code fence_pbx_san}, following the fence-agents API: parameters as {@code key=value} lines on
 * stdin (how Pacemaker's fencer calls it) or as command-line options; actions off, on, status, list, monitor,
 * metadata, validate-all; exit codes as fence-agents defines them (status: 0 on, 2 off, 1 error).
 * Fabric fencing offers no reboot: Pacemaker then runs off, and on when the node is unfenced.
 */
public final class FenceAgent {

    static final int EC_OK = 0;
    static final int EC_GENERIC_ERROR = 1;
    static final int EC_STATUS_OFF = 2;
    static final int EC_LOGIN_DENIED = 3;
    static final int EC_CONNECTION_LOST = 4;
    static final int EC_TIMED_OUT = 5;

    private static final List<String> ACTIONS =
            List.of("off", "on", "status", "list", "monitor", "metadata", "validate-all");

    private final PrintStream out;
    private final PrintStream err;
    private boolean verbose;

    public FenceAgent(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int rc = new FenceAgent(System.out, System.err).run(args, System.in);
        System.out.flush();
        System.exit(rc);
    }

    /** Reads stdin only when no command-line options were given, as fence-agents do. */
    public int run(String[] args, InputStream stdin) {
        Map<String, String> params = new LinkedHashMap<>();
        try {
            if (args.length > 0) {
                parseArgs(args, params);
            } else {
                parseStdin(stdin, params);
            }
        } catch (IllegalArgumentException | IOException e) {
            err.println("Failed: " + e.getMessage());
            err.println("Please use 'metadata' action or '--help' for the parameters");
            return EC_GENERIC_ERROR;
        }
        if (params.containsKey("help")) {
            usage();
            return EC_OK;
        }
        String action = params.getOrDefault("action", "off").toLowerCase(java.util.Locale.ROOT);
        verbose = params.containsKey("verbose");
        if (action.equals("metadata")) {
            out.print(FenceMetadata.xml());
            return EC_OK;
        }
        if (action.equals("reboot")) {
            err.println("Failed: fabric fencing has no reboot: use off, then on to unfence");
            return EC_GENERIC_ERROR;
        }
        if (!ACTIONS.contains(action)) {
            err.println("Failed: unknown action '" + action + "' (expected one of " + ACTIONS + ")");
            return EC_GENERIC_ERROR;
        }
        FenceSettings settings;
        try {
            settings = FenceSettings.from(params, action);
        } catch (IllegalArgumentException e) {
            err.println("Failed: " + e.getMessage());
            return EC_GENERIC_ERROR;
        }
        if (action.equals("validate-all")) {
            return EC_OK;
        }
        if (settings.delay().toMillis() > 0 && (action.equals("off") || action.equals("on"))) {
            sleep(settings.delay());
        }
        long start = System.nanoTime();
        // power_timeout bounds the whole action: the SSH login and every SAN command together.
        long deadline = start + settings.powerTimeout().toNanos();
        SshEndpoint ep = settings.ssh();
        if (settings.powerTimeout().compareTo(ep.connectTimeout()) < 0) {
            ep = new SshEndpoint(
                    ep.host(),
                    ep.port(),
                    ep.user(),
                    ep.identityFile(),
                    ep.knownHostsFile(),
                    settings.powerTimeout().isZero() ? Duration.ofMillis(1) : settings.powerTimeout());
        }
        try (SanShell shell = new DeadlineShell(SshSanShell.connect(ep), deadline, settings.powerTimeout())) {
            step("connected to " + settings.ssh().host() + ":" + settings.ssh().port());
            SanBackend backend = settings.backend(shell);
            SanFence fence = new SanFence(
                    backend,
                    settings.powerTimeout(),
                    deadline,
                    settings.initiatorMap().values());
            return switch (action) {
                case "off" -> {
                    SanFence.Result r = fence.off(settings.victim());
                    out.println(r == SanFence.Result.ALREADY ? "Success: Already OFF" : "Success: Powered OFF");
                    step("off " + settings.victim() + " verified in " + ms(start) + " ms");
                    yield EC_OK;
                }
                case "on" -> {
                    SanFence.Result r = fence.on(settings.victim());
                    out.println(r == SanFence.Result.ALREADY ? "Success: Already ON" : "Success: Powered ON");
                    yield EC_OK;
                }
                case "status" -> {
                    InitiatorAccess a = fence.status(settings.victim());
                    if (a.admittingAddressAcl() != null) {
                        step("admitted by address rule " + a.admittingAddressAcl());
                    }
                    out.println(a.fenced() ? "Status: OFF" : "Status: ON");
                    yield a.fenced() ? EC_STATUS_OFF : EC_OK;
                }
                case "list" -> {
                    list(settings, backend);
                    yield EC_OK;
                }
                case "monitor" -> {
                    backend.checkTarget();
                    // A node that an address rule admits could not be fenced: the device is not usable for it.
                    for (String iqn : settings.initiatorMap().values()) {
                        String rule = backend.access(new IscsiName(iqn)).admittingAddressAcl();
                        if (rule != null) {
                            throw new FenceException("target " + settings.target() + " admits by address (ACL entry "
                                    + rule + "): " + iqn + " could not be fenced by its name; unbind that rule");
                        }
                    }
                    yield EC_OK;
                }
                default -> EC_GENERIC_ERROR;
            };
        } catch (SanAccessException e) {
            err.println("Failed: " + e.getMessage());
            return switch (e.kind()) {
                case LOGIN_DENIED, HOST_KEY_REJECTED -> EC_LOGIN_DENIED;
                case TIMED_OUT -> EC_TIMED_OUT;
                case UNREACHABLE -> EC_CONNECTION_LOST;
                case LOCAL_SETUP -> EC_GENERIC_ERROR;
            };
        } catch (FenceException e) {
            err.println("Failed: " + e.getMessage());
            return EC_GENERIC_ERROR;
        } catch (RuntimeException e) {
            err.println("Failed: unexpected error: " + e);
            return EC_GENERIC_ERROR;
        }
    }

    private void list(FenceSettings settings, SanBackend backend) throws SanAccessException, FenceException {
        List<String> acl = backend.aclEntries();
        Map<String, String> map = settings.initiatorMap();
        for (Map.Entry<String, String> e : map.entrySet()) {
            out.println(e.getKey() + "," + e.getValue());
        }
        for (String name : acl) {
            if (!map.containsValue(name) && AddressAcl.isName(name)) {
                out.println(name + "," + name);
            }
        }
    }

    private void parseArgs(String[] args, Map<String, String> params) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            FenceParameter p;
            String value = null;
            if (a.equals("-h") || a.equals("--help")) {
                params.put("help", "1");
                continue;
            }
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String key = eq < 0 ? body : body.substring(0, eq);
                p = FenceParameter.byLong(key);
                if (p == null) {
                    throw new IllegalArgumentException("unknown option " + a);
                }
                if (eq >= 0) {
                    value = body.substring(eq + 1);
                }
            } else if (a.startsWith("-") && a.length() >= 2) {
                p = FenceParameter.byShort(a.substring(1, 2));
                if (p == null) {
                    throw new IllegalArgumentException("unknown option " + a);
                }
                if (a.length() > 2) {
                    value = a.substring(2);
                }
            } else {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            if (p.isFlag()) {
                params.put(p.name(), "1");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                value = args[++i];
            }
            params.put(p.name(), value);
        }
    }

    private void parseStdin(InputStream stdin, Map<String, String> params) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        String line;
        int count = 0;
        while ((line = r.readLine()) != null) {
            if (++count > 1000) {
                throw new IllegalArgumentException("more than 1000 lines on stdin");
            }
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq <= 0) {
                err.println("Parse error: Ignoring line without key=value: " + printable(l));
                continue;
            }
            String key = l.substring(0, eq).strip();
            String value = l.substring(eq + 1).strip();
            FenceParameter p = FenceParameter.byKey(key);
            if (p == null) {
                // Pacemaker passes its own keys too (pcmk_*, CRM_meta_*); unknown keys are not an error.
                if (!key.startsWith("pcmk_") && !key.startsWith("CRM_meta") && !key.equals("agent")) {
                    err.println("Parse error: Ignoring unknown option '" + printable(key) + "'");
                }
                continue;
            }
            // "nodename" is only a fallback: an explicit plug/port wins.
            if (key.equals("nodename") && params.containsKey("plug")) {
                continue;
            }
            params.put(p.name(), p.isFlag() && value.isEmpty() ? "1" : value);
        }
    }

    // Kept here beside fastagi's AgiText.printable since storage never depends on fastagi; plain ASCII with '?',
    // as pacemaker-fenced copies the fence agent's stderr into the cluster log.
    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private void usage() {
        out.println("Usage: fence_pbx_san [options]   (or key=value lines on stdin)");
        for (FenceParameter p : FenceParameter.ALL) {
            String opt = (p.shortOpt() != null ? "-" + p.shortOpt() + ", " : "    ") + "--" + p.longOpt()
                    + (p.isFlag() ? "" : "=<" + p.name() + ">");
            out.printf(
                    "  %-40s %s%s%n",
                    opt, p.description(), p.defaultValue() != null ? " (default " + p.defaultValue() + ")" : "");
        }
    }

    private void step(String message) {
        if (verbose) {
            err.println(message);
        }
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Validated settings; every message names the bad parameter. */
    record FenceSettings(
            SshEndpoint ssh,
            String sanType,
            IscsiName target,
            int tpg,
            OptionalInt tgtControlPort,
            Map<String, String> initiatorMap,
            IscsiName victim,
            Duration shellTimeout,
            Duration powerTimeout,
            Duration delay) {

        static FenceSettings from(Map<String, String> p, String action) {
            boolean needsVictim = action.equals("off")
                    || action.equals("on")
                    || action.equals("status")
                    || (action.equals("validate-all") && p.containsKey("plug"));
            String ip = required(p, "ipaddr");
            int port = integer(p, "ipport", 1, 65535);
            String login = value(p, "login");
            String identity = required(p, "identity_file");
            String knownHosts = value(p, "known_hosts");
            String sanType = value(p, "san_type");
            if (!sanType.equals("targetcli") && !sanType.equals("tgtadm")) {
                throw new IllegalArgumentException("san_type must be targetcli or tgtadm, not '" + sanType + "'");
            }
            IscsiName target;
            try {
                target = IscsiName.parse(required(p, "target"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("target: " + e.getMessage());
            }
            int tpg = integer(p, "tpg", 1, 65535);
            OptionalInt control = p.containsKey("tgt_control_port")
                    ? OptionalInt.of(integer(p, "tgt_control_port", 0, 65535))
                    : OptionalInt.empty();
            Map<String, String> map = initiatorMap(p.get("initiator_map"));
            IscsiName victim = null;
            if (needsVictim) {
                String plug = p.get("plug");
                if (plug == null || plug.isBlank()) {
                    throw new IllegalArgumentException("plug (or port) is required for action " + action);
                }
                String iqn = map.getOrDefault(plug.strip(), plug.strip());
                try {
                    victim = IscsiName.parse(iqn);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "plug '" + plug + "' is neither a node in initiator_map nor" + " an iSCSI initiator name");
                }
            }
            Duration login_ = seconds(p, "login_timeout");
            Duration shell = seconds(p, "shell_timeout");
            Duration power = seconds(p, "power_timeout");
            Duration delay = seconds(p, "delay");
            SshEndpoint ssh;
            try {
                ssh = new SshEndpoint(ip, port, login, Path.of(identity), Path.of(knownHosts), login_);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ipaddr/login: " + e.getMessage());
            }
            return new FenceSettings(ssh, sanType, target, tpg, control, map, victim, shell, power, delay);
        }

        SanBackend backend(SanShell shell) {
            return sanType.equals("tgtadm")
                    ? new TgtadmBackend(shell, target, tgtControlPort, shellTimeout)
                    : new TargetcliBackend(shell, target, tpg, shellTimeout);
        }

        private static String value(Map<String, String> p, String key) {
            String v = p.get(key);
            if (v == null || v.isBlank()) {
                FenceParameter param = FenceParameter.byKey(key);
                return param == null ? null : param.defaultValue();
            }
            return v.strip();
        }

        private static String required(Map<String, String> p, String key) {
            String v = value(p, key);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(key + " is required");
            }
            return v;
        }

        private static int integer(Map<String, String> p, String key, int min, int max) {
            String v = value(p, key);
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        key + " must be an integer " + min + ".." + max + ", not '" + v + "'");
            }
        }

        private static Duration seconds(Map<String, String> p, String key) {
            String v = value(p, key);
            try {
                double s = Double.parseDouble(v);
                if (!(s >= 0 && s <= 3600)) {
                    throw new NumberFormatException();
                }
                return Duration.ofMillis((long) (s * 1000));
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException(key + " must be seconds 0..3600, not '" + v + "'");
            }
        }

        static Map<String, String> initiatorMap(String raw) {
            Map<String, String> map = new LinkedHashMap<>();
            if (raw == null || raw.isBlank()) {
                return map;
            }
            for (String entry : raw.split("[;, ]+")) {
                if (entry.isBlank()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("initiator_map entry '" + entry + "' is not node=iqn");
                }
                try {
                    map.put(
                            entry.substring(0, eq).strip(),
                            IscsiName.parse(entry.substring(eq + 1)).value());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("initiator_map entry '" + entry + "': " + e.getMessage());
                }
            }
            return map;
        }
    }
}
