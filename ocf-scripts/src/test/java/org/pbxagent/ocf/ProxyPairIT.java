package org.pbxagent.ocf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
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
import org.junit.jupiter.api.Test;

/**
 * The proxy pair of the paper under a real two-node Corosync + Pacemaker cluster running the shipped
 * etc/pacemaker/proxy-cluster.crm (the floating address with IPaddr2, then Kamailio with the project's pbx-kamailio,
 * rtpengine beside them; each node on the shipped etc/kamailio/kamailio.cfg with its own kamailio-local.cfg), with
 * only the sample address replaced. The phone
 * and the PBX are SIPp in a third namespace on the same LAN (a bridge), so every call crosses a real ARP lookup of
 * the floating address. The registrar part of kamailio.cfg is tested apart, on its DB; here the pair's takeover.
 *
 * <p>Each test first waits until the pair serves (both nodes up, the group started on one, a call answered); it
 * never relies on what another test left. Figures are printed beside the paper's Table VIII scenario 2.
 */
class ProxyPairIT {

    private static final String SUBNET = PacemakerCluster.SUBNET;
    /** The floating address (the shipped sample is 192.0.2.20). */
    private static final String VIP = SUBNET + "50";
    /** The PBX (SIPp UAS) on the LAN. */
    private static final String LAN = SUBNET + "100";
    /** The phones (SIPp UAC): an address of their own, since the proxy knows a PBX by its address alone. */
    private static final String PHONE = SUBNET + "101";

    private static final int PBX_PORT = 5080;
    private static final String PAPER = "paper, Table VIII scenario 2 (proxy failure): 3.4 s service, 4.2 s user";

    private static PacemakerCluster cluster;
    private static Path lanDir;
    private static Process pbx;
    private static Path phoneScenario;
    private static final List<String> figures = new ArrayList<>();

    private static Path repo() {
        return Path.of(System.getProperty("ocf.scripts.dir", "."))
                .toAbsolutePath()
                .getParent();
    }

    /** The shipped proxy cluster with this LAN's floating address; everything else as shipped. */
    static String crm() throws IOException {
        String c = Files.readString(repo().resolve("etc/pacemaker/proxy-cluster.crm"));
        assertTrue(c.contains("192.0.2.20"), "the sample floating address is gone: update this test");
        return c.replace("192.0.2.20", VIP);
    }

    @BeforeAll
    static void startThePair() throws Exception {
        cluster = new PacemakerCluster(2);
        startLan();
        for (PacemakerCluster.Node n : cluster.nodes) {
            Path kam = Files.createDirectories(n.etc().resolve("kamailio"));
            Files.copy(
                    repo().resolve("etc/kamailio/kamailio.cfg"),
                    kam.resolve("kamailio.cfg"),
                    StandardCopyOption.REPLACE_EXISTING);
            // What each proxy's site file holds: SIP on the floating address, the agents' port on its own.
            Files.writeString(
                    kam.resolve("kamailio-local.cfg"),
                    "#!define SIP_IP " + VIP + "\n"
                            + "#!define AGENT_IP " + n.address() + "\n"
                            + "#!define CTL_SOCKET \"unix:/run/kamailio_ctl\"\n");
            Files.writeString(kam.resolve("dispatcher.list"), "1 sip:" + LAN + ":" + PBX_PORT + " 0 0\n");
        }
        phoneScenario = resource("phone-call.xml");
        Path pbxScenario = resource("pbx-answer.xml");
        cluster.installAgent("pbx", repo().resolve("ocf-scripts/pbx-kamailio"));
        cluster.start(crm());
        pbx = lanSpawn(
                lanDir.resolve("pbx-uas.out"),
                "sipp",
                "-sf",
                pbxScenario.toString(),
                "-aa",
                "-i",
                LAN,
                "-p",
                Integer.toString(PBX_PORT),
                "-nostdin",
                "-trace_err",
                "-error_file",
                lanDir.resolve("pbx-uas-errors.log").toString());
        awaitServing();
    }

    @AfterAll
    static void stop() throws IOException {
        if (pbx != null) {
            pbx.destroyForcibly();
        }
        if (cluster != null) {
            cluster.close();
        }
        Path out = Path.of("target", "proxy-pair-figures.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, figures);
    }

    private static Path resource(String name) throws IOException {
        Path to = cluster.root.resolve(name);
        try (InputStream in = ProxyPairIT.class.getResourceAsStream("/" + name)) {
            Files.copy(in, to);
        }
        return to;
    }

    /** The LAN: a bridge in its own namespaces, which the cluster plugs every node into (its "SAN" slot). */
    private static void startLan() throws IOException, InterruptedException {
        lanDir = Files.createDirectories(cluster.root.resolve("lan"));
        Path script = resource("lan-node");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Process lan = new ProcessBuilder(
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
                        script.toString(),
                        lanDir.toString(),
                        LAN + "/24")
                .redirectOutput(lanDir.resolve("lan.out").toFile())
                .redirectErrorStream(true)
                .start();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(20), () -> Files.exists(lanDir.resolve("ready")) || !lan.isAlive(), "LAN up");
        if (!lan.isAlive()) {
            throw new IllegalStateException("LAN failed: " + Files.readString(lanDir.resolve("lan.out")));
        }
        cluster.san = lan;
        cluster.sanDir = lanDir;
        cluster.sanInit = lan.children().findFirst().orElseThrow().pid();
        PacemakerCluster.check(
                cluster.sanExec(Duration.ofSeconds(5), "ip", "addr", "add", PHONE + "/24", "dev", "br0"),
                "phone address");
    }

    private static Process lanSpawn(Path out, String... argv) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of("nsenter", "-t", Long.toString(cluster.sanInit), "-n", "-m", "-p", "--"));
        cmd.addAll(List.of(argv));
        return new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectErrorStream(true)
                .start();
    }

    /** One call from a phone on the LAN to the floating address, answered by the PBX behind the proxy. */
    private static boolean callAnswered() {
        OcfSandbox.Result r = cluster.sanExec(
                Duration.ofSeconds(15),
                "sipp",
                "-sf",
                phoneScenario.toString(),
                VIP + ":5060",
                "-s",
                "600",
                "-i",
                PHONE,
                "-p",
                "5090",
                "-m",
                "1",
                "-nostdin",
                "-timeout",
                "4s",
                "-timeout_error",
                "-recv_timeout",
                "3000");
        lastCall = "sipp exit " + r.rc() + ": " + r.stdout() + r.stderr();
        return r.rc() == 0;
    }

    /** What the last call attempt printed, for failure messages. */
    private static String lastCall = "";

    /** Which node runs {@code resource} now, by crm_mon on any live node. */
    private static Optional<String> runningOn(String resource) {
        Pattern p = Pattern.compile(
                "<resource id=\"" + resource + "\"[^>]*role=\"Started\"[^>]*>\\s*<node name=\"([^\"]+)\"");
        for (PacemakerCluster.Node n : cluster.nodes) {
            if (!n.alive()) {
                continue;
            }
            Matcher m = p.matcher(cluster.monXml(n));
            if (m.find()) {
                return Optional.of(m.group(1));
            }
        }
        return Optional.empty();
    }

    private static PacemakerCluster.Node byName(String name) {
        return cluster.nodes.stream()
                .filter(n -> n.name.equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static String status() {
        StringBuilder b = new StringBuilder();
        for (PacemakerCluster.Node n : cluster.nodes) {
            b.append(n.crmMon()).append('\n');
        }
        return b.toString();
    }

    /** Both nodes up, the whole group started on one of them, no failures left, and a call answered. */
    private static PacemakerCluster.Node awaitServing() throws IOException, InterruptedException {
        for (PacemakerCluster.Node n : cluster.nodes) {
            if (!n.alive()) {
                cluster.boot(n);
            }
        }
        PacemakerCluster.waitFor(
                Duration.ofSeconds(120),
                () -> runningOn("p-kamailio").isPresent()
                        && runningOn("p-kamailio").equals(runningOn("p-proxy-ip"))
                        && runningOn("p-kamailio").equals(runningOn("p-rtpengine")),
                ProxyPairIT::status);
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                ProxyPairIT::callAnswered,
                () -> "a call through the pair (" + lastCall + ")\n" + status());
        return byName(runningOn("p-kamailio").orElseThrow());
    }

    /** The addresses a node holds on its LAN link. */
    private static boolean holdsVip(PacemakerCluster.Node n) {
        return n.alive()
                && n.exec(Duration.ofSeconds(5), "ip", "-o", "addr", "show")
                        .stdout()
                        .contains(" " + VIP + "/");
    }

    @Test
    void theActiveProxyAloneHoldsTheAddressAndRoutesCalls() throws Exception {
        PacemakerCluster.Node active = awaitServing();
        PacemakerCluster.Node standby = cluster.nodes.get(active.id == 1 ? 1 : 0);
        assertTrue(holdsVip(active), status());
        assertTrue(!holdsVip(standby), "the standby holds the floating address too\n" + status());
        // The PBX answered: the INVITE crossed the proxy, which chose the PBX from its dispatcher set.
        for (int i = 0; i < 3; i++) {
            assertTrue(callAnswered(), "call " + i + " through " + active.name + "\n" + status());
        }
    }

    /** Kamailio's main pid on a node, from the pid file its agent names. */
    private static String kamailioPid(PacemakerCluster.Node n) {
        OcfSandbox.Result pid =
                n.exec(Duration.ofSeconds(5), "cat", "/run/resource-agents/pbx-kamailio-p-kamailio.pid");
        return pid.rc() == 0 ? pid.stdout().strip() : "";
    }

    /** p-kamailio's fail count on a node, 0 when there is none. */
    private static int failCount(PacemakerCluster.Node n) {
        OcfSandbox.Result r = n.exec(
                Duration.ofSeconds(10), "crm_failcount", "--query", "--resource", "p-kamailio", "--node", n.name);
        Matcher m = Pattern.compile("value=(\\d+)").matcher(r.stdout());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    @Test
    void aCrashedKamailioIsRestartedInPlace() throws Exception {
        PacemakerCluster.Node active = awaitServing();
        String before = kamailioPid(active);
        assertTrue(before.matches("\\d+"), "no pid file: " + before);
        assertEquals(0, failCount(active), status());
        // A crash takes every Kamailio process: the main one and its children, which keep serving SIP on their
        // own if only the main one goes.
        long t0 = System.nanoTime();
        OcfSandbox.Result kill = active.exec(
                Duration.ofSeconds(5), "sh", "-c", "kill -KILL \"$1\" $(ps -o pid= --ppid \"$1\")", "sh", before);
        assertEquals(0, kill.rc(), kill.stdout() + kill.stderr());
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> failCount(active) == 1
                        && !kamailioPid(active).isEmpty()
                        && !kamailioPid(active).equals(before)
                        && runningOn("p-kamailio").equals(Optional.of(active.name)),
                () -> "a restart of p-kamailio on " + active.name + "\n" + status());
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                ProxyPairIT::callAnswered,
                () -> "calls after the restart (" + lastCall + ")\n" + status());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // migration-threshold=2: the first failure restarts Kamailio where it was; the address stays.
        assertEquals(Optional.of(active.name), runningOn("p-kamailio"), status());
        assertTrue(holdsVip(active), status());
        String f = String.format(
                "proxy pair: Kamailio crashed (every process KILLed), restarted in place, calls answered again"
                        + " after %d ms",
                ms);
        System.out.println(f);
        figures.add(f);
        OcfSandbox.Result cleanup =
                active.exec(Duration.ofSeconds(30), "crm_resource", "--cleanup", "--resource", "p-kamailio");
        assertEquals(0, cleanup.rc(), cleanup.stdout() + cleanup.stderr());
    }

    @Test
    void theStandbyTakesOverWhenTheActiveProxyDies() throws Exception {
        PacemakerCluster.Node active = awaitServing();
        PacemakerCluster.Node standby = cluster.nodes.get(active.id == 1 ? 1 : 0);
        long t0 = System.nanoTime();
        active.kill();
        PacemakerCluster.waitFor(
                Duration.ofSeconds(90),
                ProxyPairIT::callAnswered,
                () -> "calls after " + active.name + " died\n" + status());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> runningOn("p-kamailio").equals(Optional.of(standby.name)),
                () -> "the group started on " + standby.name + "\n" + status());
        assertTrue(holdsVip(standby), status());
        String f = String.format(
                "proxy pair: active proxy powered off, calls answered through the floating address after %d ms"
                        + " (%s; phone and PBX are SIPp, not Asterisk)",
                ms, PAPER);
        System.out.println(f);
        figures.add(f);
        // The node comes back as the standby: stickiness keeps the group where it is.
        cluster.boot(active);
        PacemakerCluster.waitFor(
                Duration.ofSeconds(60),
                () -> active.exec(Duration.ofSeconds(10), "crm_mon", "-1")
                        .stdout()
                        .contains("Online: [ pbx1 pbx2 ]"),
                ProxyPairIT::status);
        assertTrue(callAnswered(), status());
        assertEquals(Optional.of(standby.name), runningOn("p-kamailio"), status());
        assertTrue(!holdsVip(active), "the rebooted node took the address back\n" + status());
    }
}
