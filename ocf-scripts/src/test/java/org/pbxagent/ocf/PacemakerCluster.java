package org.pbxagent.ocf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A real Corosync + Pacemaker cluster of one or more nodes on this machine. Each node is a set of fresh network,
 * mount and pid namespaces (see the cluster-node script); nodes are joined by veth pairs on 10.213.0.0/24, an
 * address range that exists only inside these namespaces. The resource agents and the fence agent under test are
 * overlaid at their installed paths inside each node. Closing kills every node (SIGKILL to its namespace) and
 * removes the veths and the node dirs.
 */
final class PacemakerCluster implements AutoCloseable {

    static final String SUBNET = "10.213.0.";

    static final String SAN_ADDRESS = SUBNET + "100";
    static final String TARGET = "iqn.2026-11.org.pbxagent:san.shared";

    final Path root;
    final List<Node> nodes = new ArrayList<>();
    /** The SAN's namespace holder and dir, when the cluster has one. */
    Process san;

    long sanInit;
    Path sanDir;

    /** One node: its dir, its namespace holder process and that namespace's PID 1 (for nsenter). */
    final class Node {
        final int id;
        final String name;
        final Path dir;
        Process holder;
        long init;

        Node(int id, Path dir) {
            this.id = id;
            this.name = "pbx" + id;
            this.dir = dir;
        }

        String address() {
            return nodes.size() == 1 ? "127.0.0.1" : SUBNET + id;
        }

        String initiator() {
            return "iqn.2026-11.org.pbxagent:" + name;
        }

        /** Runs argv inside this node's network, mount and pid namespaces (its /proc belongs to the last). */
        OcfSandbox.Result exec(Duration limit, String... argv) {
            List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(init), "-n", "-m", "-p", "--"));
            cmd.addAll(List.of(argv));
            return OcfSandbox.exec(new ProcessBuilder(cmd), limit);
        }

        Process spawn(Path stdout, String... argv) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(init), "-n", "-m", "-p", "--"));
            cmd.addAll(List.of(argv));
            return new ProcessBuilder(cmd)
                    .redirectOutput(stdout.toFile())
                    .redirectErrorStream(true)
                    .start();
        }

        boolean alive() {
            return holder != null && holder.isAlive();
        }

        /** Pulls the power: SIGKILL to the namespace holder, whose --kill-child takes PID 1 and so every process. */
        void kill() throws InterruptedException {
            if (holder != null) {
                holder.destroyForcibly();
                holder.waitFor();
            }
        }

        /** Files that appear under /etc on this node only (over the host's, read-only): /etc/pbx-agent/... */
        Path etc() {
            return dir.resolve("etc");
        }

        /** Files that appear under /opt on this node only: the agent at its installed path. */
        Path opt() {
            return dir.resolve("opt");
        }

        /** crm_mon's text view from this node, for failure messages. */
        String crmMon() {
            if (!alive()) {
                return "(" + name + " is down)";
            }
            try {
                OcfSandbox.Result r = exec(Duration.ofSeconds(15), "crm_mon", "-1", "-rfA");
                return "crm_mon on " + name + ":\n" + r.stdout() + r.stderr();
            } catch (AssertionError e) {
                return "crm_mon on " + name + " did not answer: " + e.getMessage();
            }
        }

        /** Net namespace identity, to tell which node a process runs on. */
        String netns() throws IOException {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(init), "ns", "net"))
                    .toString();
        }
    }

    PacemakerCluster(int size) throws IOException {
        root = Files.createTempDirectory("pbx-cluster-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (int i = 1; i <= size; i++) {
            Path d = root.resolve("node" + i);
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            nodes.add(new Node(i, d));
        }
        copyResource("cluster-node", root.resolve("cluster-node"));
        copyResource("ami-watch", root.resolve("ami-watch"));
        copyResource("agi-watch", root.resolve("agi-watch"));
    }

    private static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = PacemakerCluster.class.getResourceAsStream("/" + name)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /**
     * Starts the SAN namespace (tgtd + sshd on {@link #SAN_ADDRESS}, both nodes' initiators admitted) before the
     * nodes, and sets each node up to run fence_pbx_san against it: /etc/default/pbx-agent names the classpath.
     */
    void withSan(String fenceClasspath) throws IOException, InterruptedException {
        sanDir = root.resolve("san");
        Files.createDirectories(sanDir);
        run("truncate", "-s", "16M", sanDir.resolve("lun.img").toString());
        run(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "san-host",
                "-f",
                sanDir.resolve("ssh_host_ed25519_key").toString());
        run(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "fencer",
                "-f",
                sanDir.resolve("id_ed25519").toString());
        Files.copy(sanDir.resolve("id_ed25519.pub"), sanDir.resolve("authorized_keys"));
        String[] hostKey = Files.readString(sanDir.resolve("ssh_host_ed25519_key.pub"))
                .strip()
                .split(" ");
        Files.writeString(sanDir.resolve("known_hosts"), SAN_ADDRESS + " " + hostKey[0] + " " + hostKey[1] + "\n");
        StringBuilder initiators = new StringBuilder();
        for (Node n : nodes) {
            initiators.append(n.initiator()).append('\n');
            Path etc = n.etc().resolve("default");
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("pbx-agent"), "PBX_AGENT_CLASSPATH='" + fenceClasspath + "'\n");
            // The fencing key and the SAN's host key where the shipped configuration names them.
            Path conf = Files.createDirectories(n.etc().resolve("pbx-agent"));
            Files.copy(
                    sanDir.resolve("id_ed25519"), conf.resolve("san_id_ed25519"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(
                    sanDir.resolve("known_hosts"),
                    conf.resolve("san_known_hosts"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(sanDir.resolve("initiators"), initiators);
        copyResource("san-node", root.resolve("san-node"));
        san = new ProcessBuilder(
                        "unshare",
                        "--net",
                        "--mount",
                        "--pid",
                        "--fork",
                        "--kill-child",
                        "--mount-proc",
                        "--propagation",
                        "private",
                        "sh",
                        root.resolve("san-node").toString(),
                        sanDir.toString(),
                        SAN_ADDRESS + "/24")
                .redirectOutput(sanDir.resolve("san.out").toFile())
                .redirectErrorStream(true)
                .start();
        waitFor(Duration.ofSeconds(20), () -> Files.exists(sanDir.resolve("ready")) || !san.isAlive(), "SAN up");
        if (!san.isAlive()) {
            throw new IllegalStateException("SAN failed: " + Files.readString(sanDir.resolve("san.out")));
        }
        sanInit = san.children().findFirst().orElseThrow().pid();
    }

    static final int DB_PORT = 3306;
    static final String DB_USER = "pbx";
    private Process database;
    private Path databaseOut;

    /**
     * Starts the shared MySQL of the DB/SAN node (a real MariaDB, {@link SanDatabase}) inside the SAN's namespaces on
     * {@link #SAN_ADDRESS}:{@value #DB_PORT}, with the sample routing data; {@link #awaitDatabase} waits for it.
     * Returns the file holding the PBX account's password.
     */
    Path withDatabase(String classpath) throws IOException {
        Path dir = Files.createDirectories(sanDir.resolve("db"));
        Path password = sanDir.resolve("db.password");
        Files.writeString(password, "pbx-db-" + Long.toHexString(System.nanoTime()) + "\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        databaseOut = sanDir.resolve("db.out");
        database = new ProcessBuilder(
                        "nsenter",
                        "-t",
                        Long.toString(sanInit),
                        "-n",
                        "-m",
                        "-p",
                        "--",
                        java,
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-XX:-UsePerfData",
                        "-cp",
                        classpath,
                        SanDatabase.class.getName(),
                        SAN_ADDRESS,
                        Integer.toString(DB_PORT),
                        dir.toString(),
                        DB_USER,
                        password.toString())
                .redirectOutput(databaseOut.toFile())
                .redirectErrorStream(true)
                .start();
        return password;
    }

    void awaitDatabase() throws InterruptedException {
        waitFor(
                Duration.ofSeconds(240),
                () -> {
                    try {
                        return !database.isAlive()
                                || Files.readString(databaseOut).lines().anyMatch("ready"::equals);
                    } catch (IOException e) {
                        return false;
                    }
                },
                "the shared MariaDB on the SAN node");
        if (!database.isAlive()) {
            try {
                throw new IllegalStateException("shared MariaDB failed: " + Files.readString(databaseOut));
            } catch (IOException e) {
                throw new IllegalStateException("shared MariaDB failed", e);
            }
        }
    }

    /** Runs argv inside the SAN's namespaces. */
    OcfSandbox.Result sanExec(Duration limit, String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(sanInit), "-n", "-m", "-p", "--"));
        cmd.addAll(List.of(argv));
        return OcfSandbox.exec(new ProcessBuilder(cmd), limit);
    }

    /**
     * Makes a file appear at /usr/lib/ocf/resource.d/{provider}/ on every node, with the shell library the agents
     * source from their own directory when it lies beside the file (as install.sh puts it: 0644, so Pacemaker does
     * not take it for an agent).
     */
    void installAgent(String provider, Path agent) throws IOException {
        Path library = agent.resolveSibling(OcfSandbox.LIBRARY);
        for (Node n : nodes) {
            Path d = n.dir.resolve("ocf").resolve(provider);
            Files.createDirectories(d);
            if (Files.exists(library)) {
                OcfSandbox.readable(
                        Files.copy(library, d.resolve(OcfSandbox.LIBRARY), StandardCopyOption.REPLACE_EXISTING));
            }
            Files.copy(agent, d.resolve(agent.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(d.resolve(agent.getFileName()), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** Makes a file appear in /usr/sbin on every node (fence agents). */
    void installSbin(Path file) throws IOException {
        for (Node n : nodes) {
            Path d = n.dir.resolve("sbin");
            Files.createDirectories(d);
            Files.copy(file, d.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(d.resolve(file.getFileName()), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** Corosync's token (ms), as in etc/pacemaker/corosync.conf. */
    static final int TOKEN_MS = 600;

    private String corosyncConf() {
        StringBuilder sb = new StringBuilder();
        // The token of etc/pacemaker/corosync.conf (see the reasons there).
        sb.append("totem {\n  version: 2\n  cluster_name: pbxtest\n  transport: knet\n  crypto_cipher: none\n"
                + "  crypto_hash: none\n  token: " + TOKEN_MS + "\n}\nnodelist {\n");
        for (Node n : nodes) {
            sb.append("  node {\n    ring0_addr: ")
                    .append(n.address())
                    .append("\n    name: ")
                    .append(n.name)
                    .append("\n    nodeid: ")
                    .append(n.id)
                    .append("\n  }\n");
        }
        sb.append("}\nquorum {\n  provider: corosync_votequorum\n");
        if (nodes.size() == 2) {
            sb.append("  two_node: 1\n");
        }
        sb.append("}\nlogging {\n  to_stderr: yes\n  to_syslog: no\n  to_logfile: no\n}\n");
        return sb.toString();
    }

    /**
     * Starts the namespaces, loads {@code crm} (crm shell syntax) into each node's CIB file offline, joins the
     * nodes, then starts Corosync and Pacemaker. Returns once every node's processes are started.
     */
    void start(String crm) throws IOException, InterruptedException {
        String conf = corosyncConf();
        Path crmFile = root.resolve("cluster.crm");
        Files.writeString(crmFile, crm);
        for (Node n : nodes) {
            Files.writeString(n.dir.resolve("corosync.conf"), conf);
            launch(n);
            Path cib = n.dir.resolve("lib-pacemaker/cib/cib.xml");
            OcfSandbox.Result empty = n.exec(Duration.ofSeconds(20), "cibadmin", "--empty");
            check(empty, "cibadmin --empty");
            Files.writeString(cib, empty.stdout());
            OcfSandbox.Result load = n.exec(
                    Duration.ofSeconds(60),
                    "env",
                    "CIB_file=/var/lib/pacemaker/cib/cib.xml",
                    "crm",
                    "-F",
                    "configure",
                    "load",
                    "update",
                    crmFile.toString());
            check(load, "crm configure load");
            n.exec(Duration.ofSeconds(10), "chown", "-R", "hacluster:haclient", "/var/lib/pacemaker/cib");
        }
        if (san != null) {
            for (Node n : nodes) {
                plugIntoSan(n);
            }
        } else if (nodes.size() > 1) {
            for (Node a : nodes) {
                for (Node b : nodes) {
                    if (a.id < b.id) {
                        link(a, b);
                    }
                }
            }
        }
        for (Node n : nodes) {
            Files.writeString(n.dir.resolve("net-ready"), "");
        }
        for (Node n : nodes) {
            awaitStarted(n);
        }
    }

    /** Starts a node's namespaces; Corosync waits for net-ready. */
    private void launch(Node n) throws IOException, InterruptedException {
        n.holder = new ProcessBuilder(
                        "unshare",
                        "--net",
                        "--mount",
                        "--pid",
                        "--fork",
                        "--kill-child",
                        "--mount-proc",
                        "--propagation",
                        "private",
                        "sh",
                        root.resolve("cluster-node").toString(),
                        n.dir.toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        n.dir.resolve("node.out").toFile()))
                .redirectErrorStream(true)
                .start();
        waitFor(
                Duration.ofSeconds(10),
                () -> n.holder.children().findFirst().isPresent() && Files.exists(n.dir.resolve("lib-pacemaker/cib")),
                "namespaces of " + n.name);
        n.init = n.holder.children().findFirst().orElseThrow().pid();
        // The mounts must be up before anything is written through them.
        waitFor(
                Duration.ofSeconds(10),
                () -> n.exec(Duration.ofSeconds(5), "test", "-d", "/run/crm").rc() == 0,
                "private /run of " + n.name);
    }

    private void awaitStarted(Node n) throws IOException, InterruptedException {
        waitFor(
                Duration.ofSeconds(20),
                () -> Files.exists(n.dir.resolve("started")) || !n.alive(),
                "corosync and pacemaker on " + n.name);
        if (!n.alive()) {
            throw new IllegalStateException(
                    n.name + " failed to start: " + Files.readString(n.dir.resolve("node.out")));
        }
    }

    /** Power-cycles a node: kill it, then boot it again on its own disk (its CIB), plugged into the same LAN. */
    void restart(Node n) throws IOException, InterruptedException {
        n.kill();
        boot(n);
    }

    /** Boots a node that is down, on its own disk (its CIB), plugged into the same LAN. */
    void boot(Node n) throws IOException, InterruptedException {
        Files.deleteIfExists(n.dir.resolve("net-ready"));
        Files.deleteIfExists(n.dir.resolve("started"));
        launch(n);
        if (san != null) {
            plugIntoSan(n);
        }
        Files.writeString(n.dir.resolve("net-ready"), "");
        awaitStarted(n);
    }

    private void link(Node a, Node b) {
        String va = "pbxv" + ProcessHandle.current().pid() % 100000 + a.id + b.id + "a";
        String vb = va.substring(0, va.length() - 1) + "b";
        run("ip", "link", "add", va, "type", "veth", "peer", "name", vb);
        run("ip", "link", "set", va, "netns", Long.toString(a.init));
        run("ip", "link", "set", vb, "netns", Long.toString(b.init));
        check(a.exec(Duration.ofSeconds(5), "ip", "addr", "add", a.address() + "/24", "dev", va), "addr");
        check(a.exec(Duration.ofSeconds(5), "ip", "link", "set", va, "up"), "up");
        check(b.exec(Duration.ofSeconds(5), "ip", "addr", "add", b.address() + "/24", "dev", vb), "addr");
        check(b.exec(Duration.ofSeconds(5), "ip", "link", "set", vb, "up"), "up");
    }

    private int plugs;

    /** One veth per node into the SAN's bridge: the cluster's LAN. */
    private void plugIntoSan(Node n) {
        String vn = "pbxv" + ProcessHandle.current().pid() % 100000 + "n" + n.id + (char) ('a' + plugs++ % 26);
        String vs = vn + "s";
        run("ip", "link", "add", vn, "type", "veth", "peer", "name", vs);
        run("ip", "link", "set", vn, "netns", Long.toString(n.init));
        run("ip", "link", "set", vs, "netns", Long.toString(sanInit));
        check(sanExec(Duration.ofSeconds(5), "ip", "link", "set", vs, "master", "br0", "up"), "bridge port");
        check(n.exec(Duration.ofSeconds(5), "ip", "addr", "add", n.address() + "/24", "dev", vn), "addr");
        check(n.exec(Duration.ofSeconds(5), "ip", "link", "set", vn, "up"), "up");
    }

    private static void run(String... argv) {
        check(OcfSandbox.exec(new ProcessBuilder(argv), Duration.ofSeconds(10)), String.join(" ", argv));
    }

    static void check(OcfSandbox.Result r, String what) {
        if (r.rc() != 0) {
            throw new IllegalStateException(what + " failed (" + r.rc() + "): " + r.stdout() + r.stderr());
        }
    }

    /** crm_mon as XML from a node. */
    String monXml(Node n) {
        return n.exec(Duration.ofSeconds(10), "crm_mon", "-1", "--output-as=xml")
                .stdout();
    }

    static void waitFor(Duration limit, BooleanSupplier cond, String what) throws InterruptedException {
        waitFor(limit, cond, () -> what);
    }

    static void waitFor(Duration limit, BooleanSupplier cond, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what.get());
            }
            Thread.sleep(50);
        }
    }

    /** Closed by {@link #close()} after the nodes are down, before the cluster's dirs are removed. */
    final List<AutoCloseable> afterNodes = new ArrayList<>();

    @Override
    public void close() throws IOException {
        for (Node n : nodes) {
            try {
                n.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (san != null) {
            san.destroyForcibly();
            try {
                san.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Keep what a failed run needs to be understood.
        Path logs = Path.of("target", "cluster-logs");
        Files.createDirectories(logs);
        for (Node n : nodes) {
            for (String f : List.of(
                    "log-pacemaker/pacemaker.log",
                    "log-pacemaker/pbx-agent-console.log",
                    "corosync.out",
                    "node.out",
                    "pacemakerd.out")) {
                Path src = n.dir.resolve(f);
                if (Files.exists(src)) {
                    Files.copy(
                            src, logs.resolve(n.name + "-" + src.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (sanDir != null) {
            for (String f : List.of("san.out", "tgtd.log", "sshd.log", "db.out")) {
                if (Files.exists(sanDir.resolve(f))) {
                    Files.copy(sanDir.resolve(f), logs.resolve("san-" + f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        // What must go once the nodes are down and before their dirs are removed (their disks).
        for (AutoCloseable c : afterNodes) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
        // Veths die with their namespaces; the dirs are ours alone.
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
