package org.pbxagent.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pbxagent.agent.app.Main;
import org.pbxagent.agent.cli.ConfigSections;
import org.pbxagent.agent.config.ConfigException;
import org.pbxagent.agent.config.HttpSettings;
import org.pbxagent.agent.config.Secret;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.StatusBoard;
import picocli.CommandLine;

/**
 * The agent's HTTP beyond loopback: HTTPS from a key store, plain HTTP refused on a non-loopback bind unless said,
 * the read token for /status, /metrics and the status page; checked with the JDK's TLS client, a raw plain-text
 * client and the agent's own `status` command.
 */
class AdminHttpTlsTest {
    static final String ADMIN = "admin-token-0123456789";
    static final String READ = "read-token-0123456789ab";
    static final String STORE_PASSWORD = "store-pass-1";

    @TempDir
    static Path dir;

    static Path keystore;
    static Path otherKeystore;
    private AdminHttpServer server;
    private volatile boolean drained;

    /** A key and self-signed certificate for 127.0.0.1, as keytool makes them (the README's command). */
    @BeforeAll
    static void keys() throws Exception {
        keystore = keytool("agent.p12", "ip:127.0.0.1");
        otherKeystore = keytool("other.p12", "ip:127.0.0.1");
    }

    private static Path keytool(String name, String san) throws Exception {
        Path ks = dir.resolve(name);
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-keystore",
                        ks.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        STORE_PASSWORD,
                        "-alias",
                        "pbx-agent",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=pbx1",
                        "-ext",
                        "SAN=" + san,
                        "-validity",
                        "2")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return ks;
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, String> config(String bind) {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "pbx1");
        m.put("db.url", "jdbc:mysql://127.0.0.1:3306/pbx");
        m.put("db.user", "agent");
        m.put("db.password", "Secr3t-DB-pass");
        m.put("http.bind", bind);
        m.put("http.port", "0");
        m.put("http.admin-token", ADMIN);
        return m;
    }

    private int start(HttpSettings settings) throws Exception {
        StatusBoard board = new StatusBoard("pbx1", "test", Clock.systemUTC());
        board.section("balancer", () -> Map.of("kamailio", List.of(Map.of("url", "http://10.0.0.10:5071/pbx"))));
        DrainSwitch drain = new DrainSwitch() {
            @Override
            public DrainState drain(String reason, boolean force) {
                drained = true;
                return state();
            }

            @Override
            public DrainState undrain() {
                drained = false;
                return state();
            }

            @Override
            public DrainState state() {
                return new DrainState(drained, drained ? "maintenance" : "", Instant.now(), Map.of());
            }
        };
        server = new AdminHttpServer(settings, board, () -> "pbxagent_up 1\n", () -> drain);
        server.start();
        return server.port();
    }

    private static HttpSettings tls(String readToken) {
        return new HttpSettings(
                true,
                "127.0.0.1",
                0,
                Secret.of(ADMIN),
                Duration.ofSeconds(5),
                8,
                keystore,
                Secret.of(STORE_PASSWORD),
                false,
                Secret.of(readToken));
    }

    static SSLContext trusting(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("agent", ks.getCertificate("pbx-agent"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpResponse<String> get(HttpClient c, String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(5))
                .GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void plainHttpOnANonLoopbackBindIsRefusedUnlessSaidAndAKeyStoreIsChecked() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigSections.from(config("0.0.0.0")));
        assertTrue(e.getMessage().contains("http.bind: 0.0.0.0 is reachable beyond this host"), e.getMessage());
        Map<String, String> plain = config("10.0.0.21");
        plain.put("http.allow-plaintext", "true");
        assertFalse(ConfigSections.from(plain).http().tls());
        assertFalse(ConfigSections.from(config("127.0.0.1")).http().tls(), "loopback stays plain by default");

        Map<String, String> withTls = config("0.0.0.0");
        withTls.put("http.tls.keystore", keystore.toString());
        withTls.put("http.tls.keystore-password", STORE_PASSWORD);
        withTls.put("http.read-token", READ);
        HttpSettings h = ConfigSections.from(withTls).http();
        assertTrue(h.tls());
        assertFalse(h.toString().contains(STORE_PASSWORD) || h.toString().contains(READ), h.toString());

        withTls.put("http.tls.keystore-password", "wrong-password");
        ConfigException wrong = assertThrows(ConfigException.class, () -> ConfigSections.from(withTls));
        assertTrue(wrong.getMessage().contains("http.tls.keystore: cannot open key store"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("wrong-password"), wrong.getMessage());
        withTls.remove("http.tls.keystore-password");
        assertThrows(ConfigException.class, () -> ConfigSections.from(withTls));
        withTls.put("http.tls.keystore-password", STORE_PASSWORD);
        withTls.put("http.read-token", ADMIN);
        ConfigException same = assertThrows(ConfigException.class, () -> ConfigSections.from(withTls));
        assertTrue(same.getMessage().contains("http.read-token: must differ"), same.getMessage());
    }

    @Test
    void httpsServesWithTheReadTokenAndRefusesPlainTextAndStrangers() throws Exception {
        int port = start(tls(READ));
        String base = "https://127.0.0.1:" + port;
        HttpClient client = HttpClient.newBuilder()
                .sslContext(trusting(keystore))
                .connectTimeout(Duration.ofSeconds(5))
                .build();

        assertEquals(200, get(client, base + "/health/live", null).statusCode(), "liveness stays open");
        HttpResponse<String> noToken = get(client, base + "/status", null);
        assertEquals(401, noToken.statusCode());
        assertTrue(
                noToken.headers().allValues("WWW-Authenticate").stream().anyMatch(v -> v.startsWith("Basic")),
                noToken.headers().toString());
        assertFalse(noToken.body().contains("10.0.0.10"), "nothing of /status without the token");
        assertEquals(401, get(client, base + "/metrics", null).statusCode());
        assertEquals(401, get(client, base + "/", null).statusCode());
        assertEquals(401, get(client, base + "/status", "Bearer " + READ + "x").statusCode());

        HttpResponse<String> status = get(client, base + "/status", "Bearer " + READ);
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(status.body().contains("http://10.0.0.10:5071/pbx"), status.body());
        assertEquals(200, get(client, base + "/status", "Bearer " + ADMIN).statusCode(), "the admin token reads");
        assertTrue(get(client, base + "/metrics", "Bearer " + READ).body().contains("pbxagent_up 1"));
        // The status page in a browser: Basic authentication with the read token as the password.
        String basic = "Basic " + Base64.getEncoder().encodeToString(("ops:" + READ).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> page = get(client, base + "/", basic);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));

        // The read token cannot drain; the admin token can, over TLS.
        HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/drain?reason=maintenance"))
                .timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + READ)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        assertEquals(
                401, client.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertFalse(drained);
        HttpRequest admin = HttpRequest.newBuilder(URI.create(base + "/drain?reason=maintenance"))
                .timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        assertEquals(
                200, client.send(admin, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertTrue(drained);

        // Plain HTTP to the HTTPS port: no answer of the agent's, and no token learnt from a clear request.
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + READ + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = s.getInputStream().readNBytes(4096);
            String text = new String(answer, StandardCharsets.ISO_8859_1);
            assertFalse(text.contains("10.0.0.10"), text);
            assertFalse(text.startsWith("HTTP/1.1 200"), text);
        } catch (java.net.SocketException | java.net.SocketTimeoutException expected) {
            // Closed or silent: refused either way.
        }

        // A client that trusts another certificate does not get in.
        HttpClient stranger = HttpClient.newBuilder()
                .sslContext(trusting(otherKeystore))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        assertThrows(SSLHandshakeException.class, () -> get(stranger, base + "/health", null));
    }

    @Test
    void theStatusCommandUsesTlsAndTheReadTokenFromTheConfiguration() throws Exception {
        int port = start(tls(READ));
        Map<String, String> m = config("127.0.0.1");
        m.put("http.port", Integer.toString(port));
        m.put("http.tls.keystore", keystore.toString());
        m.put("http.tls.keystore-password", STORE_PASSWORD);
        m.put("http.read-token", READ);
        StringBuilder text = new StringBuilder();
        m.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Path file = Files.writeString(dir.resolve("agent-" + port + ".properties"), text);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        long t0 = System.nanoTime();
        int code = cl.execute("status", "--config", file.toString(), "--json", "--timeout-ms", "15000");
        System.out.printf("status over TLS (cold client in this JVM): %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        // Nothing reported healthy or not in this bare board: answering with the page is what is asked.
        assertTrue(code == 0 || code == 1, "exit " + code + ": " + err);
        assertTrue(out.toString().contains("http://10.0.0.10:5071/pbx"), out + " / " + err);

        Path wrongToken = Files.writeString(dir.resolve("wrong-" + port + ".token"), "not-the-read-token\n");
        StringWriter err2 = new StringWriter();
        CommandLine cl2 = Main.commandLine();
        cl2.setOut(new PrintWriter(new StringWriter(), true));
        cl2.setErr(new PrintWriter(err2, true));
        assertEquals(2, cl2.execute("status", "--config", file.toString(), "--token-file", wrongToken.toString()));
        assertTrue(err2.toString().contains("the one given was refused"), err2.toString());
    }
}
