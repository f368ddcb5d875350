package org.pbxagent.agent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.pbxagent.agent.balancer.KamailioProcess;
import org.pbxagent.agent.balancer.RealParts;
import org.pbxagent.agent.balancer.Sipp;
import org.pbxagent.agent.db.EmbeddedMariaDb;

/**
 * The proxy/registrar of etc/kamailio/kamailio.cfg (WITH_REGISTRAR, WITH_RTPENGINE) against real parts: a MariaDB
 * with Kamailio's own subscriber/location schema and the account of kamailio-grants.sql, two Kamailios on that DB
 * (the active proxy and the standby), rtpengine as the RTP relay, SIPp as phones and as the PBX. Each Kamailio runs
 * the shipped file, copied unchanged next to the kamailio-local.cfg a site writes (switches and the DB URL).
 *
 * <p>The phone behind NAT says it is at {@link #NAT_HOST}, a private address no test traffic is sent to: before any
 * call to it, the test checks that its registration points at its real (loopback) source address.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KamailioRegistrarIT {
    private static final String PBX = "127.0.0.2";
    private static final String ALICE_IP = "127.0.0.4";
    private static final String CAROL_IP = "127.0.0.5";
    private static final String BOB_IP = "127.0.0.6";
    private static final String RELAY_IP = "127.0.0.9";
    /** What the phone behind NAT puts in its Via, Contact and SDP. */
    private static final String NAT_HOST = "10.1.2.3";

    private static final int NAT_PORT = 5062;
    private static final String REALM = "pbx.test";
    private static final List<String> USERS = List.of("alice", "bob", "carol", "dave", "erin");
    /** Part of every phone's password: unique to this run, so finding one in a log is no accident. */
    private static final String RUN_ID = secret().substring(0, 12);

    private static final String SCHEMA_DIR = "/usr/share/kamailio/mysql";
    /** Bound of one SIPp run (a REGISTER with its challenge, or a call). */
    private static final long RUN_MS = 30_000;

    private static Path dir;
    private static EmbeddedMariaDb db;
    private static String dbPassword;
    private static Process rtpengine;
    private static Sipp.Uas pbx;
    private static KamailioProcess active;
    private static KamailioProcess standby;
    /** rtpengine's control port (its --listen-ng). */
    private static int ngPort;

    @BeforeAll
    static void startRealParts() throws Exception {
        dir = Files.createTempDirectory("registrar-it");
        db = EmbeddedMariaDb.start(0, null);
        dbPassword = secret();
        loadSchema();
        startRtpengine();
        pbx = new Sipp.Uas(dir, PBX, RealParts.freePort(PBX), "sipp/phone-uas.xml");
        pbx.start();
        active = kamailio("active");
        standby = kamailio("standby");
        // The standby runs from the start, as a hot standby would: what it knows of registrations made later can
        // only come from the DB.
        active.start();
        standby.start();
    }

    @AfterAll
    static void stopRealParts() {
        for (AutoCloseable c : new AutoCloseable[] {active, standby, pbx}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // Next one.
            }
        }
        RealParts.stop(rtpengine, 3000);
        if (db != null) {
            db.close();
        }
        RealParts.deleteTree(dir);
    }

    @BeforeEach
    void bothProxiesUp() throws Exception {
        // A test that stopped the active proxy (takeover) leaves it stopped; the next starts it again.
        if (!active.alive()) {
            active.start();
        }
    }

    @Test
    @Order(1)
    void registerWithTheRightPasswordIsSavedInTheSharedLocationTable() throws Exception {
        int port = RealParts.freePort(ALICE_IP);

        assertEquals("200", register(active, "alice", password("alice"), ALICE_IP, port, ALICE_IP, port));

        List<String[]> rows = location("alice");
        assertEquals(1, rows.size(), "one contact for alice");
        assertEquals("sip:alice@" + ALICE_IP + ":" + port, rows.get(0)[0]);
        assertTrue(
                rows.get(0)[1] == null || rows.get(0)[1].isEmpty(), "not behind NAT: no received, " + rows.get(0)[1]);
    }

    @Test
    @Order(2)
    void registerWithAWrongPasswordIsRefusedAndSavesNothing() throws Exception {
        int port = RealParts.freePort(ALICE_IP);

        String code = register(active, "erin", "not-" + password("erin"), ALICE_IP, port, ALICE_IP, port);

        assertTrue(code.equals("403") || code.equals("401"), "refused, got " + code);
        assertEquals(List.of(), location("erin"));
    }

    @Test
    @Order(3)
    void callFromAPbxReachesTheRegisteredPhone() throws Exception {
        int port = RealParts.freePort(ALICE_IP);
        assertEquals("200", register(active, "alice", password("alice"), ALICE_IP, port, ALICE_IP, port));

        try (Sipp.Uas phone = new Sipp.Uas(dir, ALICE_IP, port, "sipp/phone-uas.xml")) {
            phone.start();
            Sipp.Run call = callFromPbx(active, "pbx-to-alice", "alice");

            assertEquals(0, call.exitCode(), call.output());
            assertEquals(List.of("answered 1 " + ALICE_IP), answered(call), call.output());
            RealParts.await(
                    "the phone logged the INVITE", 10_000, () -> invites(phone).size() == 1, () -> log(phone));
            assertEquals(
                    "sip:alice@" + ALICE_IP + ":" + port,
                    requestUri(invites(phone).get(0)),
                    log(phone));
        }
    }

    @Test
    @Order(4)
    void callFromAPbxToAUserWithNoRegistrationIsRefusedAsARegistrarDoes() throws Exception {
        // dave is a subscriber who has not registered: 480; nobody is no subscriber at all: 404.
        Sipp.Run toDave = callFromPbx(active, "pbx-to-dave", "dave");
        Sipp.Run toNobody = callFromPbx(active, "pbx-to-nobody", "nobody");

        assertEquals(List.of(), answered(toDave));
        assertTrue(toDave.output().contains("SIP/2.0 480"), toDave.output());
        assertEquals(List.of(), answered(toNobody));
        assertTrue(toNobody.output().contains("SIP/2.0 404"), toNobody.output());
    }

    @Test
    @Order(5)
    void theStandbyRoutesToAPhoneRegisteredThroughTheActiveProxy() throws Exception {
        int port = RealParts.freePort(BOB_IP);
        assertEquals("200", register(active, "bob", password("bob"), BOB_IP, port, BOB_IP, port));
        // Takeover: the active proxy is gone; the standby has run since before bob registered.
        active.stop();
        assertFalse(active.alive());

        try (Sipp.Uas phone = new Sipp.Uas(dir, BOB_IP, port, "sipp/phone-uas.xml")) {
            phone.start();
            Sipp.Run call = callFromPbx(standby, "standby-to-bob", "bob");

            assertEquals(0, call.exitCode(), call.output());
            assertEquals(List.of("answered 1 " + BOB_IP), answered(call), call.output());
        }
    }

    @Test
    @Order(6)
    void aPhoneBehindNatIsReachedAtItsSourceAddress() throws Exception {
        int port = RealParts.freePort(CAROL_IP);

        assertEquals("200", register(active, "carol", password("carol"), CAROL_IP, port, NAT_HOST, NAT_PORT));

        List<String[]> rows = location("carol");
        assertEquals(1, rows.size());
        assertEquals("sip:carol@" + NAT_HOST + ":" + NAT_PORT, rows.get(0)[0], "the Contact as the phone sent it");
        // The guard for the call below: it goes to this address, never to the private one.
        assertEquals("sip:" + CAROL_IP + ":" + port, rows.get(0)[1], "received: the address the REGISTER came from");

        try (Sipp.Uas phone = new Sipp.Uas(dir, CAROL_IP, port, "sipp/phone-uas.xml")) {
            phone.start();
            Sipp.Run call = callFromPbx(active, "pbx-to-carol", "carol");

            assertEquals(0, call.exitCode(), call.output());
            assertEquals(List.of("answered 1 " + CAROL_IP), answered(call), call.output());
            RealParts.await(
                    "the phone logged the INVITE", 10_000, () -> invites(phone).size() == 1, () -> log(phone));
            // Delivered to the source address, with the request URI the phone registered.
            assertEquals(
                    "sip:carol@" + NAT_HOST + ":" + NAT_PORT,
                    requestUri(invites(phone).get(0)),
                    log(phone));
        }
    }

    @Test
    @Order(7)
    void aCallFromAPhoneBehindNatHasItsMediaRelayedAndAPhoneWithoutNatHasNot() throws Exception {
        int before = invites(pbx).size();

        Sipp.Run natted = callFromPhone("carol-calls", "carol", CAROL_IP, NAT_HOST, NAT_PORT);
        Sipp.Run direct = callFromPhone("alice-calls", "alice", ALICE_IP, ALICE_IP, 0);

        assertEquals(0, natted.exitCode(), natted.output());
        // The phone gets the PBX's answer with the relay's address in place of the PBX's.
        assertEquals(List.of("answered 1 " + PBX + " " + RELAY_IP), answered(natted), natted.output());
        assertEquals(0, direct.exitCode(), direct.output());
        assertEquals(List.of("answered 1 " + PBX + " " + PBX), answered(direct), direct.output());
        RealParts.await(
                "the PBX logged both INVITEs", 10_000, () -> invites(pbx).size() == before + 2, () -> log(pbx));
        List<String> seen = invites(pbx).subList(before, before + 2);
        // The PBX gets the relay's address from the phone behind NAT, never its private one; the other phone's own.
        assertTrue(seen.get(0).endsWith(" " + RELAY_IP), seen.toString());
        assertTrue(seen.get(1).endsWith(" " + ALICE_IP), seen.toString());
    }

    @Test
    @Order(8)
    void noPasswordReachesTheProxiesLogs() throws Exception {
        // Every start of each proxy logged to its own file.
        StringBuilder all = new StringBuilder();
        for (String k : List.of("active", "standby")) {
            try (var files = Files.list(dir.resolve(k))) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("kamailio-")
                                && f.getFileName().toString().endsWith(".log"))
                        .toList()) {
                    all.append(Files.readString(f, StandardCharsets.ISO_8859_1));
                }
            }
        }
        String logs = all.toString();
        assertFalse(logs.isEmpty());
        assertFalse(logs.contains(dbPassword), "the DB password is in a Kamailio log");
        for (String user : USERS) {
            assertFalse(logs.contains(password(user)), "a phone's password is in a Kamailio log");
        }
    }

    // ---- the proxies and the relay

    /** A Kamailio in its own directory: the shipped cfg, unchanged, and the site's kamailio-local.cfg beside it. */
    private static KamailioProcess kamailio(String name) throws IOException {
        Path kdir = Files.createDirectories(dir.resolve(name));
        Path cfg = kdir.resolve("kamailio.cfg");
        Files.copy(RealParts.shippedKamailioCfg(), cfg);
        String local = "#!define WITH_REGISTRAR\n"
                + "#!define WITH_RTPENGINE\n"
                + "#!define DB_URL \"mysql://kamailio:" + dbPassword + "@127.0.0.1:" + db.port() + "/kamailio\"\n"
                + "#!define AUTH_REALM \"" + REALM + "\"\n"
                + "#!define RTPENGINE_SOCK \"udp:127.0.0.1:" + ngPort + "\"\n";
        Files.writeString(kdir.resolve("kamailio-local.cfg"), local, StandardCharsets.US_ASCII);
        return new KamailioProcess(
                kdir, RealParts.freePort("127.0.0.1"), RealParts.freePort("127.0.0.1"), List.of(pbx.uri()), cfg);
    }

    /** rtpengine in user space (no kernel forwarding), relaying on {@link #RELAY_IP}; up when it answers a ping. */
    private static void startRtpengine() throws Exception {
        ngPort = RealParts.freePort("127.0.0.1");
        List<String> cmd = List.of(
                "rtpengine",
                "--config-file=none",
                "--foreground",
                "--log-stderr",
                "--table=-1",
                "--interface=" + RELAY_IP,
                "--listen-ng=127.0.0.1:" + ngPort,
                "--port-min=23000",
                "--port-max=23199",
                "--pidfile=" + dir.resolve("rtpengine.pid"));
        rtpengine = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("rtpengine.log").toFile())
                .start();
        RealParts.await(
                "rtpengine answers ping on its control port",
                15_000,
                () -> rtpengine.isAlive() && pingRtpengine(),
                () -> " " + fileText(dir.resolve("rtpengine.log")));
    }

    private static String fileText(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "(no " + p.getFileName() + ")";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static boolean pingRtpengine() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            s.setSoTimeout(500);
            byte[] ping = "p1 d7:command4:pinge".getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(ping, ping.length, InetAddress.getByName("127.0.0.1"), ngPort));
            byte[] buf = new byte[512];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            try {
                s.receive(reply);
            } catch (SocketTimeoutException e) {
                return false;
            }
            return new String(buf, 0, reply.getLength(), StandardCharsets.US_ASCII).contains("pong");
        }
    }

    // ---- SIPp runs

    /** REGISTER of {@code user} from {@code ip:port}, naming {@code contactHost:contactPort}; the final code. */
    private static String register(
            KamailioProcess k, String user, String password, String ip, int port, String contactHost, int contactPort)
            throws Exception {
        String name = "register-" + user + "-" + port;
        Path inf = injection(name, user, contactHost, contactPort);
        Path scenario = withCredentials(name, "sipp/phone-register.xml", user, password);
        Sipp.Run run = Sipp.run(dir, name, scenario, ip, port, k.sipPort, List.of("-inf", inf.toString()), RUN_MS);
        for (String line : run.logLines()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals("result") && f[1].equals(user)) {
                return f[2];
            }
        }
        throw new AssertionError("no result from the REGISTER of " + user + ": " + run.output());
    }

    /** One call from the PBX's address to {@code user} through {@code k}. */
    private static Sipp.Run callFromPbx(KamailioProcess k, String name, String user) throws Exception {
        return Sipp.run(
                dir,
                name,
                RealParts.resource("sipp/caller-uac.xml"),
                PBX,
                RealParts.freePort(PBX),
                k.sipPort,
                List.of("-s", user, "-d", "200"),
                RUN_MS);
    }

    /** One call from a phone to the PBX (number 100) through the active proxy, with an SDP offer. */
    private static Sipp.Run callFromPhone(String name, String user, String ip, String contactHost, int contactPort)
            throws Exception {
        int port = RealParts.freePort(ip);
        Path inf = injection(name, user, contactHost, contactPort == 0 ? port : contactPort);
        return Sipp.run(
                dir,
                name,
                withCredentials(name, "sipp/phone-call-uac.xml", user, password(user)),
                ip,
                port,
                active.sipPort,
                List.of("-s", "100", "-inf", inf.toString()),
                RUN_MS);
    }

    /** The scenario's fields: user;contact-host;contact-port;domain. */
    private static Path injection(String name, String user, String host, int port) throws IOException {
        Path inf = dir.resolve(name + ".csv");
        Files.writeString(
                inf, "SEQUENTIAL\n" + user + ";" + host + ";" + port + ";" + REALM + "\n", StandardCharsets.US_ASCII);
        return inf;
    }

    /** A copy of the scenario {@code resource} with the credentials in place (in a file, not on a command line). */
    private static Path withCredentials(String name, String resource, String user, String password) throws IOException {
        String xml = Files.readString(RealParts.resource(resource), StandardCharsets.ISO_8859_1)
                .replace("@USER@", user)
                .replace("@PASSWORD@", password);
        Path scenario = dir.resolve(name + ".xml");
        Files.writeString(scenario, xml, StandardCharsets.ISO_8859_1);
        return scenario;
    }

    /** "answered N WHO [SDP address]" lines of a caller's log. */
    private static List<String> answered(Sipp.Run run) {
        return run.logLines().stream()
                .map(String::trim)
                .filter(l -> l.startsWith("answered "))
                .map(l -> l.replaceAll("\\s+\\S*@.*$", ""))
                .toList();
    }

    /** "invite CALLID RURI SDPADDR" lines an answering SIPp logged so far. */
    private static List<String> invites(Sipp.Uas uas) throws IOException {
        if (!Files.exists(uas.log)) {
            return List.of();
        }
        return Files.readAllLines(uas.log, StandardCharsets.US_ASCII).stream()
                .map(String::trim)
                .filter(l -> l.startsWith("invite "))
                .toList();
    }

    /** The request URI of an "invite" line. */
    private static String requestUri(String inviteLine) {
        String[] f = inviteLine.split("\\s+");
        return f.length > 2 ? f[2] : "";
    }

    private static String log(Sipp.Uas uas) {
        return " " + fileText(uas.log);
    }

    // ---- the DB

    /**
     * Kamailio's shipped tables, the subscribers, and the proxies' account as kamailio-grants.sql grants it. The
     * embedded server starts without privilege checks; FLUSH PRIVILEGES turns them on, so the account has exactly
     * its grants.
     */
    private static void loadSchema() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "root");
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "30000");
        try (Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + db.port() + "/", p);
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE kamailio");
            st.execute("USE kamailio");
            for (String f : List.of("standard-create.sql", "auth_db-create.sql", "usrloc-create.sql")) {
                runSql(st, Files.readString(Path.of(SCHEMA_DIR, f)));
            }
            for (String user : USERS) {
                addSubscriber(c, user, password(user));
            }
            st.execute("FLUSH PRIVILEGES");
            // As on any production server (mysql_secure_installation): no anonymous accounts, which would match
            // 'kamailio' from localhost before 'kamailio'@'%' does.
            List<String> anonymous = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT host FROM mysql.user WHERE user = ''")) {
                while (rs.next()) {
                    anonymous.add(rs.getString(1));
                }
            }
            for (String host : anonymous) {
                st.execute("DROP USER ''@'" + host + "'");
            }
            st.execute("CREATE USER 'kamailio'@'%' IDENTIFIED BY '" + dbPassword + "'");
            runSql(st, Files.readString(grantsFile()));
        }
    }

    private static Path grantsFile() {
        return RealParts.shippedKamailioCfg().resolveSibling("kamailio-grants.sql");
    }

    private static void runSql(Statement st, String sql) throws SQLException {
        StringBuilder stmt = new StringBuilder();
        for (String line : sql.split("\n", -1)) {
            if (line.trim().startsWith("--")) {
                continue;
            }
            stmt.append(line).append('\n');
            if (line.trim().endsWith(";")) {
                st.execute(stmt.toString().trim().replaceAll(";$", ""));
                stmt.setLength(0);
            }
        }
        assertTrue(stmt.toString().isBlank(), "a statement without its ';': " + stmt);
    }

    /** A subscriber with only the ha1 stored, as the cfg reads it. */
    private static void addSubscriber(Connection c, String user, String password) throws Exception {
        try (PreparedStatement ps =
                c.prepareStatement("INSERT INTO kamailio.subscriber (username, domain, ha1) VALUES (?, ?, ?)")) {
            ps.setString(1, user);
            ps.setString(2, REALM);
            ps.setString(3, md5Hex(user + ":" + REALM + ":" + password));
            ps.executeUpdate();
        }
    }

    /** (contact, received) of every row of {@code user} in the location table, read with the proxies' account. */
    private static List<String[]> location(String user) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = proxyAccount();
                PreparedStatement ps =
                        c.prepareStatement("SELECT contact, received FROM kamailio.location WHERE username = ?")) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        return rows;
    }

    private static Connection proxyAccount() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "kamailio");
        p.setProperty("password", dbPassword);
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "30000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + db.port() + "/", p);
    }

    // ---- secrets of this run

    private static String password(String user) {
        return "pw-" + user + "-" + RUN_ID;
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b).toLowerCase(Locale.ROOT);
    }

    private static String md5Hex(String s) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
