package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The paper's failover scenarios against a real two-node Corosync + Pacemaker cluster running the shipped
 * configuration (etc/pacemaker/pbx-cluster.crm, with this machine's addresses and paths): on each node the group
 * storage (pbx-storage: ext4 on a loop device whose disk can freeze) -> Asterisk (pbx-asterisk on the stand-in)
 * -> the pbx-agent daemon (the real one, on the shared MariaDB of the DB/SAN node), cloned active-active, fenced
 * through fence_pbx_san at the SAN (tgtd over SSH).
 *
 * <p>One cluster serves every scenario. Each one first re-establishes what it needs (both nodes up and admitted at
 * the SAN, every resource started, no failures or bans left, the cluster settled): it never relies on what the
 * one before it left. The order only lets the cheap scenarios run before those that need a node power-cycled.
 * "Serving" is seen from outside, inside each node's network namespace: ami-watch logs in to Asterisk (AMI) and
 * agi-watch asks the agent for a route decision (FastAGI) every 20 ms. Every figure is printed beside the paper's
 * Table VIII and written to target/failover-figures.txt.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PacemakerFailoverIT {

    private static final int AMI_PORT = 5038;
    private static final int AGI_PORT = 4573;
    private static final String PAPER_NO_FENCING = "paper, Table VIII: 3.4 s (service without fencing)";
    private static final String PAPER_FENCING = "paper, Table VIII: 7.4 s (service with fencing)";
    private static final List<String> RESOURCES = List.of("p-storage", "p-asterisk", "p-agent");

    private static OcfSandbox box;
    private static PacemakerCluster cluster;
    private static Path hangfs;
    private static Path dbPassword;
    private static final List<NodeDisk> disks = new ArrayList<>();
    private static final List<Watch> ami = new ArrayList<>();
    private static final List<Watch> agi = new ArrayList<>();
    private static final List<String> figures = new ArrayList<>();
    /** When the current scenario found both nodes serving. */
    private static long servingSince;

    /** A client's view of one service of one node: a watch script running inside the node's network namespace. */
    static final class Watch {
        final Path out;
        final Process process;

        Watch(PacemakerCluster.Node node, String script, String... args) throws IOException {
            Path dir = Files.createDirectories(cluster.root.resolve("watch"));
            out = Files.createTempFile(dir, script + "-" + node.name + "-", ".log");
            List<String> argv = new ArrayList<>(
                    List.of("python3", cluster.root.resolve(script).toString()));
            argv.addAll(List.of(args));
            process = node.spawn(out, argv.toArray(String[]::new));
        }

        List<long[]> transitions() {
            List<long[]> t = new ArrayList<>();
            try {
                for (String l : Files.readAllLines(out)) {
                    String[] p = l.trim().split(" ");
                    if (p.length == 2) {
                        t.add(new long[] {p[0].equals("up") ? 1 : 0, Long.parseLong(p[1])});
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // file not there yet, or a line half written
            }
            return t;
        }

        /** Up at its last look, and still looking: a watcher that died keeps its last line, which proves nothing. */
        boolean upNow() {
            List<long[]> t = transitions();
            return process.isAlive() && !t.isEmpty() && t.get(t.size() - 1)[0] == 1;
        }

        /** First "up" strictly after {@code sinceMs}, if any. */
        Optional<Long> upAfter(long sinceMs) {
            return transitions().stream()
                    .filter(x -> x[0] == 1 && x[1] > sinceMs)
                    .map(x -> x[1])
                    .findFirst();
        }

        Optional<Long> downAfter(long sinceMs) {
            return transitions().stream()
                    .filter(x -> x[0] == 0 && x[1] > sinceMs)
                    .map(x -> x[1])
                    .findFirst();
        }
    }

    private static PacemakerCluster.Node node(int i) {
        return cluster.nodes.get(i - 1);
    }

    /** Where every node mounts its shared storage; Asterisk's spool lives there. */
    private static Path sharedMount() {
        return cluster.root.resolve("shared");
    }

    private static Path repo() {
        return Path.of(System.getProperty("ocf.scripts.dir", "."))
                .toAbsolutePath()
                .getParent();
    }

    private static String replaceOnce(String text, String from, String to) {
        int at = text.indexOf(from);
        if (at < 0 || text.indexOf(from, at + 1) >= 0) {
            throw new IllegalStateException("etc/pacemaker/pbx-cluster.crm no longer holds exactly one '" + from
                    + "': update this test's substitutions");
        }
        return text.replace(from, to);
    }

    /**
     * The shipped configuration itself, with this machine's SAN address, SAN account and back-end, and the Asterisk
     * stand-in for the binary. Everything else (timers, intervals, timeouts, group, clone, fencing) is as shipped.
     */
    static String crm() throws IOException {
        String c = Files.readString(repo().resolve("etc/pacemaker/pbx-cluster.crm"));
        // Both nodes start together here; the default 20 s wait for a DC only lengthens every cluster start.
        c = replaceOnce(c, "\tstart-failure-is-fatal=false\n", "\tstart-failure-is-fatal=false \\\n\tdc-deadtime=2s\n");
        c = replaceOnce(c, "ipaddr=192.0.2.10", "ipaddr=" + PacemakerCluster.SAN_ADDRESS);
        // The test SAN lets root in with the fencing key (no forced command account).
        c = replaceOnce(c, "login=pbxfence", "login=root");
        c = replaceOnce(c, "san_type=targetcli", "san_type=tgtadm");
        // Longer SSH limits than the agent's defaults: this machine may be running other builds.
        c = replaceOnce(
                c,
                "pcmk_delay_base=\"pbx1:3s;pbx2:0s\" \\",
                "pcmk_delay_base=\"pbx1:3s;pbx2:0s\" \\\n" + "\t\tlogin_timeout=10 shell_timeout=10 \\");
        c = replaceOnce(
                c,
                "binary=/usr/sbin/asterisk options=\"-f -U asterisk -G asterisk\"",
                "binary="
                        + box.standIn + " options=\"--ami-port " + AMI_PORT + " --ami-user " + OcfSandbox.AMI_USER
                        + " --ami-secret " + OcfSandbox.AMI_SECRET + " --spool "
                        + sharedMount().resolve("spool") + "\"");
        // The daemon's console log with each node's Pacemaker logs (kept after the run).
        c = replaceOnce(
                c,
                "agent_cli=/opt/pbx-agent/bin/pbx-agent \\",
                "agent_cli=/opt/pbx-agent/bin/pbx-agent \\\n" + "\t\tlog=/var/log/pacemaker/pbx-agent-console.log \\");
        return c;
    }

    /** The node's /etc/pbx-agent: the agent's configuration (storage section included) and its secrets. */
    private static void writeNodeConfig(PacemakerCluster.Node n) throws IOException {
        Path conf = Files.createDirectories(n.etc().resolve("pbx-agent"));
        Files.writeString(
                conf.resolve("pbx-agent.properties"),
                String.join(
                        "\n",
                        "node.id = " + n.name,
                        "node.data-dir = " + n.dir.resolve("data"),
                        "db.url = jdbc:mysql://" + PacemakerCluster.SAN_ADDRESS + ":" + PacemakerCluster.DB_PORT
                                + "/pbx",
                        "db.user = " + PacemakerCluster.DB_USER,
                        "db.password = file:/etc/pbx-agent/db.password",
                        "routing.snapshot-file = " + n.dir.resolve("data/routing-snapshot.json"),
                        "fastagi.bind = 127.0.0.1",
                        "fastagi.port = " + AGI_PORT,
                        "http.bind = 127.0.0.1",
                        "http.port = 8088",
                        "http.admin-token = file:/etc/pbx-agent/admin.token",
                        // The cluster-wide scheduler is not what these scenarios are about; off, it keeps two daemons
                        // lighter.
                        "scheduler.enabled = false",
                        "ami.enabled = true",
                        "ami.host = 127.0.0.1",
                        "ami.port = " + AMI_PORT,
                        "ami.username = " + OcfSandbox.AMI_USER,
                        "ami.secret = file:/etc/pbx-agent/ami.secret",
                        "storage.device = " + disks.get(n.id - 1).device(),
                        "storage.mount-point = " + sharedMount(),
                        "storage.fs-type = ext4",
                        "storage.mount-options = noatime",
                        "storage.label = pbxshared",
                        "storage.probe-budget-ms = 5000",
                        ""));
        Files.copy(dbPassword, conf.resolve("db.password"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(box.secretFile, conf.resolve("ami.secret"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(conf.resolve("admin.token"), "admin-token-of-" + n.name + "-0123456789abcdef\n");
        for (String secret : List.of("db.password", "ami.secret", "admin.token", "san_id_ed25519")) {
            Files.setPosixFilePermissions(conf.resolve(secret), PosixFilePermissions.fromString("rw-------"));
        }
    }

    @BeforeAll
    static void startCluster() throws Exception {
        box = new OcfSandbox();
        cluster = new PacemakerCluster(2);
        Files.createDirectories(sharedMount());
        hangfs = NodeDisk.compileHangFs(cluster.root);
        for (PacemakerCluster.Node n : cluster.nodes) {
            disks.add(new NodeDisk(n.dir.resolve("disk"), hangfs, "pbxshared"));
            cluster.afterNodes.add(disks.get(disks.size() - 1));
        }
        cluster.installAgent("pbx", box.agent("pbx-storage"));
        cluster.installAgent("pbx", box.agent("pbx-asterisk"));
        cluster.installAgent("pbx", box.agent("pbx-agent"));
        cluster.installSbin(Path.of(System.getProperty("ocf.scripts.dir", "."), "fence_pbx_san"));
        for (PacemakerCluster.Node n : cluster.nodes) {
            Path bin = Files.createDirectories(n.opt().resolve("pbx-agent/bin"));
            Files.copy(box.launcher, bin.resolve("pbx-agent"), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(bin.resolve("pbx-agent"), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        cluster.withSan(box.classpath);
        Path testClasses = Path.of(SanDatabase.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        dbPassword = cluster.withDatabase(box.classpath + java.io.File.pathSeparator + testClasses);
        for (PacemakerCluster.Node n : cluster.nodes) {
            writeNodeConfig(n);
        }
        long t0 = System.currentTimeMillis();
        cluster.awaitDatabase();
        cluster.start(crm());
        for (PacemakerCluster.Node n : cluster.nodes) {
            startWatches(n);
        }
        awaitServing(Duration.ofSeconds(240));
        figure(
                "cluster start to storage, Asterisk and agent serving on both nodes",
                System.currentTimeMillis() - t0,
                "");
    }

    private static void startWatches(PacemakerCluster.Node n) throws IOException {
        Watch a = new Watch(n, "ami-watch", Integer.toString(AMI_PORT), OcfSandbox.AMI_USER, OcfSandbox.AMI_SECRET);
        Watch g = new Watch(n, "agi-watch", Integer.toString(AGI_PORT), "route?tenant=acme&did=100");
        if (ami.size() < n.id) {
            ami.add(a);
            agi.add(g);
        } else {
            ami.set(n.id - 1, a).process.destroyForcibly();
            agi.set(n.id - 1, g).process.destroyForcibly();
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            for (Watch w : ami) {
                w.process.destroyForcibly();
            }
            for (Watch w : agi) {
                w.process.destroyForcibly();
            }
            Path report = Path.of("target", "failover-figures.txt");
            Files.createDirectories(report.getParent());
            Files.write(report, figures);
        } finally {
            // A frozen disk holds processes in the kernel, and a node's namespace cannot end before they do.
            for (NodeDisk d : disks) {
                d.release();
            }
            if (cluster != null) {
                cluster.close();
            }
            if (box != null) {
                box.close();
            }
        }
    }

    private static void figure(String what, long ms, String paper) {
        String line = String.format("%-72s %6d ms%s", what, ms, paper.isEmpty() ? "" : "   (" + paper + ")");
        figures.add(line);
        System.out.println("FIGURE " + line);
    }

    private static String state() {
        StringBuilder sb = new StringBuilder();
        for (PacemakerCluster.Node n : cluster.nodes) {
            sb.append("\n").append(n.crmMon());
        }
        return sb.toString();
    }

    /** Pacemaker itself reports {@code rsc} started on {@code node}, with no operation pending on it. */
    private static boolean startedOn(PacemakerCluster.Node view, String rsc, String node) {
        if (!view.alive()) {
            return false;
        }
        String xml = view.exec(Duration.ofSeconds(15), "crm_mon", "-1", "--output-as=xml")
                .stdout();
        Matcher m = Pattern.compile("<resource id=\"" + rsc + "(?::\\d+)?\"[^>]*>\\s*<node name=\"" + node + "\"")
                .matcher(xml);
        while (m.find()) {
            String tag = m.group();
            if (tag.contains("role=\"Started\"") && !tag.contains("pending=") && tag.contains("failed=\"false\"")) {
                return true;
            }
        }
        return false;
    }

    private static boolean allStarted() {
        for (PacemakerCluster.Node n : cluster.nodes) {
            for (String r : RESOURCES) {
                if (!startedOn(node(1), r, n.name)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Every resource started on both nodes, the controller with no transition left (a monitor result that changes
     * while a start's transition is still open is acted on only at the next recurring result), both nodes serving.
     */
    private static void awaitServing(Duration limit) throws InterruptedException {
        PacemakerCluster.waitFor(
                limit, PacemakerFailoverIT::allStarted, () -> "every resource started on both nodes" + state());
        PacemakerCluster.waitFor(
                Duration.ofSeconds(90),
                () -> node(1).exec(Duration.ofSeconds(80), "crm_resource", "--wait", "--timeout=60s")
                                .rc()
                        == 0,
                () -> "the cluster settled (crm_resource --wait)" + state());
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> ami.stream().allMatch(Watch::upNow) && agi.stream().allMatch(Watch::upNow),
                () -> "AMI and FastAGI answering on both nodes" + state());
        servingSince = System.currentTimeMillis();
    }

    /**
     * What every scenario starts from: both nodes up and admitted at the SAN, no ban, no failure counted, every
     * resource started, the cluster settled, both nodes serving. A node left dead or fenced by an earlier scenario
     * is power-cycled (unfencing re-admits it before its storage starts).
     */
    private static void ensureHealthy() throws Exception {
        for (PacemakerCluster.Node n : cluster.nodes) {
            if (!n.alive() || !sanAdmits(n.initiator())) {
                powerCycle(n);
            }
        }
        PacemakerCluster.Node n1 = node(1);
        // No ban is left (crm_resource --clear exits non-zero where there is none to remove).
        n1.exec(Duration.ofSeconds(30), "crm_resource", "--clear", "-r", "cl-pbx");
        PacemakerCluster.check(n1.exec(Duration.ofSeconds(30), "crm_resource", "--cleanup"), "cleanup");
        awaitServing(Duration.ofSeconds(180));
        for (PacemakerCluster.Node n : cluster.nodes) {
            for (String r : RESOURCES) {
                assertEquals(0, failCount(n, r), r + " on " + n.name + " starts without failures" + state());
            }
        }
    }

    /** Pulls the node's power and boots it again on a fresh look at its disk. */
    private static void powerCycle(PacemakerCluster.Node n) throws Exception {
        NodeDisk disk = disks.get(n.id - 1);
        disk.release();
        n.kill();
        disk.detach();
        disk.attach();
        writeNodeConfig(n);
        long boot = System.currentTimeMillis();
        cluster.boot(n);
        startWatches(n);
        PacemakerCluster.waitFor(
                Duration.ofSeconds(180),
                () -> sanAdmits(n.initiator())
                        && RESOURCES.stream().allMatch(r -> startedOn(node(1), r, n.name))
                        && ami.get(n.id - 1).upNow()
                        && agi.get(n.id - 1).upNow(),
                () -> n.name + " unfenced and serving after its power-cycle" + state());
        figure(
                "power-cycled " + n.name + " -> unfenced at the SAN, storage, Asterisk and agent serving",
                System.currentTimeMillis() - boot,
                "");
    }

    /** Host pid of the process on {@code node} whose command line holds {@code mark}, or -1. */
    private static long processOn(PacemakerCluster.Node node, String mark) {
        String ns;
        try {
            ns = node.netns();
        } catch (IOException e) {
            return -1;
        }
        for (ProcessHandle ph : box.processes()) {
            try {
                String cmd = Files.readString(Path.of("/proc", Long.toString(ph.pid()), "cmdline"));
                String pns = Files.readSymbolicLink(Path.of("/proc", Long.toString(ph.pid()), "ns", "net"))
                        .toString();
                if (cmd.contains(mark) && pns.equals(ns)) {
                    return ph.pid();
                }
            } catch (IOException e) {
                // gone
            }
        }
        return -1;
    }

    private static long standInOn(PacemakerCluster.Node node) {
        return processOn(node, "asterisk-standin");
    }

    /** The pbx-agent daemon (its JVM) on {@code node}. */
    private static long agentOn(PacemakerCluster.Node node) {
        return processOn(node, "org.pbxagent.agent.app.Main\0run\0");
    }

    private static int failCount(PacemakerCluster.Node node, String rsc) {
        OcfSandbox.Result r =
                node(1).exec(Duration.ofSeconds(10), "crm_failcount", "--query", "-r", rsc, "-N", node.name);
        Matcher m = Pattern.compile("value=(\\d+|INFINITY)").matcher(r.stdout());
        if (!m.find()) {
            return 0;
        }
        return m.group(1).equals("INFINITY") ? Integer.MAX_VALUE : Integer.parseInt(m.group(1));
    }

    /** The other node never stopped serving (AMI and FastAGI) since this scenario began. */
    private static void assertServedThroughout(PacemakerCluster.Node n) {
        assertTrue(
                ami.get(n.id - 1).process.isAlive() && agi.get(n.id - 1).process.isAlive(),
                n.name + "'s AMI and FastAGI watchers still running (a dead one saw no outage)" + state());
        assertTrue(
                ami.get(n.id - 1).downAfter(servingSince).isEmpty()
                        && ami.get(n.id - 1).upNow(),
                n.name + "'s Asterisk served throughout" + state());
        assertTrue(
                agi.get(n.id - 1).downAfter(servingSince).isEmpty()
                        && agi.get(n.id - 1).upNow(),
                n.name + "'s agent answered FastAGI throughout" + state());
    }

    private static boolean isZombieOrGone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    /** Every monitor Pacemaker has recorded ended inside its timeout (none timed out, none ran past it). */
    private static void assertNoMonitorTimedOut(PacemakerCluster.Node node) {
        String xml = node.exec(Duration.ofSeconds(10), "crm_mon", "-1", "--output-as=xml", "--include=operations")
                .stdout();
        Matcher op = Pattern.compile("<operation_history [^>]*task=\"monitor\"[^>]*>")
                .matcher(xml);
        int seen = 0;
        while (op.find()) {
            String tag = op.group();
            seen++;
            assertFalse(tag.contains("rc_text=\"Timed Out\"") || tag.contains("rc=\"198\""), tag);
            Matcher exec = Pattern.compile("exec-time=\"(\\d+)ms\"").matcher(tag);
            if (exec.find()) {
                assertTrue(Integer.parseInt(exec.group(1)) < 10_000, "monitor ran past its 10 s timeout: " + tag);
            }
        }
        assertTrue(seen > 0, "crm_mon shows monitor operations: " + xml);
    }

    /** The SAN's ACL admits this initiator (tgtadm's own view, inside the SAN namespace). */
    private static boolean sanAdmits(String initiator) {
        String show = cluster.sanExec(
                        Duration.ofSeconds(5), "tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show")
                .stdout();
        int acl = show.indexOf("ACL information:");
        return acl >= 0 && show.substring(acl).contains(initiator);
    }

    /** A real iSCSI login and INQUIRY from {@code from}'s namespace under {@code initiator}'s name. */
    private static boolean lunAnswers(PacemakerCluster.Node from, String initiator) {
        return from.exec(
                                Duration.ofSeconds(15),
                                "iscsi-inq",
                                "-i",
                                initiator,
                                "iscsi://" + PacemakerCluster.SAN_ADDRESS + "/" + PacemakerCluster.TARGET + "/1")
                        .rc()
                == 0;
    }

    /** {@code view}'s fencer records a completed fencing (not the unfencing, "on", every node gets at its start). */
    private static boolean fencedBy(PacemakerCluster.Node view, PacemakerCluster.Node victim) {
        return fenceHistory(view, victim)
                .lines()
                .anyMatch(l -> l.contains(victim.name)
                        && l.contains("successful")
                        && !Pattern.compile("\\bon of " + victim.name + "\\b")
                                .matcher(l)
                                .find());
    }

    private static String fenceHistory(PacemakerCluster.Node view, PacemakerCluster.Node victim) {
        return view.exec(Duration.ofSeconds(10), "stonith_admin", "--history=" + victim.name)
                .stdout();
    }

    @Test
    @Order(1)
    void crashedAsteriskIsRestartedInPlace() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long pid = standInOn(n1);
        long agent = agentOn(n1);
        assertTrue(pid > 0, "stand-in runs on pbx1");
        long crash = System.currentTimeMillis();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> ami.get(0).upAfter(crash).isPresent(),
                () -> "Asterisk back on pbx1" + state());
        long back = ami.get(0).upAfter(crash).get() - crash;
        figure("1 Asterisk crash -> Asterisk serving again (restart in place)", back, PAPER_NO_FENCING);
        long newPid = standInOn(n1);
        assertTrue(newPid > 0 && newPid != pid, "a new Asterisk process serves on pbx1");
        awaitServing(Duration.ofSeconds(120));
        // The daemon is not restarted with Asterisk: routing decisions never stopped.
        assertEquals(agent, agentOn(n1), "the agent kept running through Asterisk's restart");
        assertTrue(agi.get(0).downAfter(crash).isEmpty(), "FastAGI answered throughout" + state());
        assertEquals(1, failCount(n1, "p-asterisk"));
        assertEquals(0, failCount(n1, "p-storage"), "the storage under a crashed Asterisk is not touched");
        assertTrue(sanAdmits(n1.initiator()), "no fencing for a crash");
        assertServedThroughout(node(2));
        // The 2 s target is a benchmark figure (printed above, BENCHMARKS.md); the assertion only bounds the
        // restart generously, so that a loaded 2-core machine does not fail it.
        assertTrue(back < 20_000, "restart in place took " + back + " ms" + state());
    }

    @Test
    @Order(2)
    void hungAsteriskIsDetectedAndRestarted() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long pid = standInOn(n1);
        assertTrue(pid > 0, "stand-in runs on pbx1");
        long hang = System.currentTimeMillis();
        OcfSandbox.signal(pid, "STOP");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(90),
                () -> ami.get(0).upAfter(hang).isPresent() && standInOn(n1) != pid,
                () -> "Asterisk restarted after the hang" + state());
        long back = ami.get(0).upAfter(hang).get() - hang;
        figure("2 Asterisk hang (SIGSTOP: alive, AMI silent) -> Asterisk serving again", back, PAPER_NO_FENCING);
        assertTrue(isZombieOrGone(pid), "the hung process was killed");
        assertEquals(1, failCount(n1, "p-asterisk"));
        assertNoMonitorTimedOut(n1);
        assertTrue(sanAdmits(n1.initiator()), "no fencing for a hang");
        assertServedThroughout(node(2));
    }

    @Test
    @Order(3)
    void thirdFailureBansTheNodeAndTheOtherKeepsServing() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long last = 0;
        for (int failure = 1; failure <= 3; failure++) {
            if (failure > 1) {
                awaitServing(Duration.ofSeconds(120));
            }
            long pid = standInOn(n1);
            assertTrue(pid > 0, "stand-in runs on pbx1 before failure " + failure);
            last = System.currentTimeMillis();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            int expected = failure;
            PacemakerCluster.waitFor(
                    Duration.ofSeconds(60),
                    () -> failCount(n1, "p-asterisk") >= expected,
                    () -> "failure " + expected + " recorded" + state());
        }
        long crash = last;
        // Give Pacemaker time to (wrongly) restart it: it must not.
        Thread.sleep(5000);
        assertFalse(ami.get(0).upAfter(crash).isPresent(), "Asterisk must stay stopped on a banned node" + state());
        assertEquals(-1, standInOn(n1));
        assertTrue(startedOn(n1, "p-asterisk", "pbx2"), "p-asterisk still started on pbx2" + state());
        assertServedThroughout(node(2));
        figure("3 third failure -> pbx1 banned, pbx2 serving throughout (downtime on pbx2)", 0, "");
        long cleanup = System.currentTimeMillis();
        PacemakerCluster.check(
                n1.exec(Duration.ofSeconds(30), "crm_resource", "--cleanup", "-r", "p-asterisk", "-N", n1.name),
                "cleanup");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> ami.get(0).upAfter(cleanup).isPresent(),
                () -> "pbx1 back after cleanup" + state());
        figure(
                "3 cleanup of the banned node -> Asterisk serving there again",
                ami.get(0).upAfter(cleanup).get() - cleanup,
                "");
    }

    @Test
    @Order(4)
    void crashedAgentIsRestartedAloneAndAsteriskKeepsItsCalls() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long asterisk = standInOn(n1);
        long pid = agentOn(n1);
        assertTrue(pid > 0, "the agent daemon runs on pbx1");
        long crash = System.currentTimeMillis();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(150),
                () -> agi.get(0).upAfter(crash).isPresent(),
                () -> "the agent answering FastAGI again on pbx1" + state());
        long back = agi.get(0).upAfter(crash).get() - crash;
        figure("4 agent crash (SIGKILL) -> routing (FastAGI) answered again", back, PAPER_NO_FENCING);
        long newPid = agentOn(n1);
        assertTrue(newPid > 0 && newPid != pid, "a new daemon serves on pbx1");
        assertEquals(asterisk, standInOn(n1), "Asterisk (and its calls) untouched by the agent's restart");
        assertTrue(ami.get(0).downAfter(crash).isEmpty(), "Asterisk never stopped serving" + state());
        awaitServing(Duration.ofSeconds(120));
        assertEquals(1, failCount(n1, "p-agent"));
        assertServedThroughout(node(2));
    }

    @Test
    @Order(5)
    void frozenAgentIsKilledAndRestarted() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long asterisk = standInOn(n1);
        long pid = agentOn(n1);
        assertTrue(pid > 0, "the agent daemon runs on pbx1");
        long freeze = System.currentTimeMillis();
        // Accepts connections in the kernel, answers nothing: every call it takes would wait for it.
        OcfSandbox.signal(pid, "STOP");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(30), () -> isZombieOrGone(pid), () -> "the frozen daemon killed" + state());
        long killed = System.currentTimeMillis() - freeze;
        figure("5 agent freeze (SIGSTOP) -> frozen daemon killed (its FastAGI sockets closed)", killed, "");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(150),
                () -> agi.get(0).upAfter(freeze).isPresent(),
                () -> "the agent answering FastAGI again on pbx1" + state());
        long back = agi.get(0).upAfter(freeze).get() - freeze;
        figure("5 agent freeze (SIGSTOP) -> routing (FastAGI) answered again", back, PAPER_NO_FENCING);
        assertTrue(agi.get(0).downAfter(freeze).isPresent(), "a frozen agent is seen as not answering");
        assertEquals(asterisk, standInOn(n1), "Asterisk untouched by the agent's restart");
        awaitServing(Duration.ofSeconds(120));
        assertEquals(1, failCount(n1, "p-agent"));
        assertServedThroughout(node(2));
    }

    @Test
    @Order(6)
    void lostStorageIsStoppedCleanlyAndTheGroupRestarted() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        long asterisk = standInOn(n1);
        long agent = agentOn(n1);
        // The volume goes from under the node (detached while Asterisk still writes its spool there): the storage
        // monitor sees it gone; every stop can still complete, so the group restarts in place, without fencing.
        long lost = System.currentTimeMillis();
        PacemakerCluster.check(
                n1.exec(Duration.ofSeconds(20), "umount", "-l", sharedMount().toString()), "umount -l");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(120),
                () -> ami.get(0).upAfter(lost).isPresent() && standInOn(n1) != asterisk,
                () -> "Asterisk restarted over the remounted storage" + state());
        long back = ami.get(0).upAfter(lost).get() - lost;
        figure("6 storage lost, clean stop -> storage remounted, Asterisk serving again", back, PAPER_NO_FENCING);
        awaitServing(Duration.ofSeconds(120));
        assertEquals(
                0,
                n1.exec(Duration.ofSeconds(10), "findmnt", "-n", sharedMount().toString())
                        .rc(),
                "the storage is mounted again on pbx1");
        assertEquals(1, failCount(n1, "p-storage"));
        assertEquals(agent, agentOn(n1), "the agent kept running while storage and Asterisk restarted");
        // Fabric fencing is the SAN's ACL: pbx1 was never cut off (a fenced node stays out until it is power-cycled).
        assertTrue(
                sanAdmits(n1.initiator()) && lunAnswers(node(2), n1.initiator()),
                "a clean stop needs no fencing: " + fenceHistory(node(2), n1) + state());
        assertServedThroughout(node(2));
    }

    @Test
    @Order(7)
    void frozenStorageWhoseStopCannotCompleteFencesTheNode() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        PacemakerCluster.Node n2 = node(2);
        // pbx2's disk stops answering under its mounted file system and Asterisk's spool writes: the storage
        // monitor's read does not complete, Asterisk sits in the kernel where KILL cannot end it, its stop fails
        // and the node is fenced off the SAN.
        long freeze = System.currentTimeMillis();
        disks.get(1).freeze();
        // Fencing clears the fenced node's operation history, so the failures are read while they are there.
        List<String> seen = new ArrayList<>();
        Pattern failure = Pattern.compile("<failure [^>]*op_key=\"(p-[a-z]+_[a-z]+_\\d+)\"[^>]*node=\"pbx2\"[^>]*>");
        PacemakerCluster.waitFor(
                Duration.ofSeconds(120),
                () -> {
                    Matcher m = failure.matcher(
                            n1.exec(Duration.ofSeconds(10), "crm_mon", "-1", "--output-as=xml", "--include=failures")
                                    .stdout());
                    while (m.find()) {
                        if (seen.stream().noneMatch(f -> f.contains("\"" + m.group(1) + "\""))) {
                            seen.add(m.group());
                        }
                    }
                    return !sanAdmits(n2.initiator());
                },
                () -> "pbx2 fenced at the SAN after its storage froze" + state());
        long fenced = System.currentTimeMillis() - freeze;
        figure("7 storage frozen, stop cannot complete -> node fenced off the SAN", fenced, PAPER_FENCING);
        PacemakerCluster.waitFor(
                Duration.ofSeconds(30),
                () -> fencedBy(n1, n2),
                () -> "pbx1's fencer records the fencing of pbx2: " + fenceHistory(n1, n2) + state());
        assertTrue(
                seen.stream()
                        .anyMatch(f -> f.contains("p-storage_monitor_")
                                && (f.contains("does not answer") || f.contains("no answer within"))),
                "the storage monitor failed on pbx2, its read not answered: " + seen);
        assertTrue(
                seen.stream().anyMatch(f -> f.contains("p-asterisk_stop_0") && f.contains("held in the kernel")),
                "Asterisk's stop failed on pbx2, held in the kernel: " + seen);
        assertFalse(lunAnswers(n1, n2.initiator()), "the SAN refuses pbx2's initiator");
        assertTrue(lunAnswers(n1, n1.initiator()), "the SAN still serves pbx1");
        assertServedThroughout(n1);
        // The target is a figure (30 s, BENCHMARKS.md); the bound only catches a stop left to its 120 s timeout.
        assertTrue(fenced < 90_000, "fenced " + fenced + " ms after the freeze" + state());
    }

    @Test
    @Order(8)
    void deadNodeIsFencedOffTheSanAndTheSurvivorCarriesOn() throws Exception {
        ensureHealthy();
        PacemakerCluster.Node n1 = node(1);
        PacemakerCluster.Node n2 = node(2);
        assertTrue(lunAnswers(n1, n2.initiator()), "before: the SAN serves pbx2's initiator");
        long death = System.currentTimeMillis();
        n2.kill();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(40), () -> !sanAdmits(n2.initiator()), () -> "pbx2 fenced at the SAN" + state());
        long fenced = System.currentTimeMillis() - death;
        figure("8 node death -> fenced off the SAN (ACL removed, seen at the SAN)", fenced, PAPER_FENCING);
        PacemakerCluster.waitFor(
                Duration.ofSeconds(30),
                () -> fencedBy(n1, n2),
                () -> "pbx1's fencer records the fencing of pbx2: " + fenceHistory(n1, n2) + state());
        figure("8 node death -> fencing confirmed by the survivor's Pacemaker", System.currentTimeMillis() - death, "");
        assertFalse(lunAnswers(n1, n2.initiator()), "after: the SAN refuses pbx2's initiator");
        assertTrue(lunAnswers(n1, n1.initiator()), "after: the SAN still serves pbx1's initiator");
        assertServedThroughout(n1);
        assertTrue(RESOURCES.stream().allMatch(r -> startedOn(n1, r, n1.name)), "pbx1 keeps its group" + state());
        assertTrue(fenced < 30_000, "fenced " + fenced + " ms after the death" + state());
    }
}
