package org.pbxagent.agent.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pbxagent.agent.config.HttpSettings;
import org.pbxagent.agent.module.AgentComponent;
import org.pbxagent.agent.module.DrainSwitch;
import org.pbxagent.agent.module.StatusBoard;

/**
 * The agent's HTTP face on Jetty 12 (core handler API, no servlets): health, status, metrics, the status page and
 * the token-protected drain/undrain. Binds exactly where configured; HTTPS only when a key store is configured.
 */
@SuppressWarnings("try") // as AgentComponent: close() is called by the daemon, not by try-with-resources
public final class AdminHttpServer implements AgentComponent {
    private final HttpSettings settings;
    private final AdminHandler handler;
    private final StatusHistory history;
    private Server server;
    private ServerConnector connector;

    /** Metrics from the daemon's registry (Prometheus text, or OpenMetrics when asked), and the page's plots. */
    public AdminHttpServer(
            HttpSettings settings, StatusBoard board, PrometheusMeterRegistry meters, Supplier<DrainSwitch> drain) {
        this.settings = settings;
        this.history = new StatusHistory(meters, Clock.systemUTC());
        this.handler = new AdminHandler(
                board,
                om -> om ? meters.scrape(OPENMETRICS) : meters.scrape(),
                history,
                drain,
                settings.adminToken(),
                settings.readToken());
    }

    /** Fixed metrics text and no plots (for tests of the HTTP face alone). */
    public AdminHttpServer(
            HttpSettings settings, StatusBoard board, Supplier<String> metrics, Supplier<DrainSwitch> drain) {
        this.settings = settings;
        this.history = null;
        this.handler =
                new AdminHandler(board, om -> metrics.get(), null, drain, settings.adminToken(), settings.readToken());
    }

    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    @Override
    public String name() {
        return "http";
    }

    @Override
    public synchronized void start() throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(settings.maxThreads(), 2);
        threads.setName("http");
        threads.setDaemon(true);
        Server s = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(8 * 1024);
        ServerConnector c;
        if (settings.tls()) {
            // HTTPS only on this connector: a plain request to it gets no answer of ours.
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(settings.tlsKeystore().toString());
            ssl.setKeyStorePassword(settings.tlsKeystorePassword().reveal());
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            // Clients reach the agent by IP (no SNI); the certificate names that IP.
            http.addCustomizer(new SecureRequestCustomizer(false));
            c = new ServerConnector(
                    s,
                    1,
                    1,
                    new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(http));
        } else {
            c = new ServerConnector(s, 1, 1, new HttpConnectionFactory(http));
        }
        c.setHost(settings.bind());
        c.setPort(settings.port());
        c.setIdleTimeout(settings.idleTimeout().toMillis());
        c.setReuseAddress(true);
        s.addConnector(c);
        s.setHandler(handler);
        s.setStopTimeout(2000);
        try {
            s.start();
        } catch (Exception e) {
            try {
                s.stop();
            } catch (Exception ignored) {
                // start already failed; nothing more to release
            }
            throw e;
        }
        server = s;
        connector = c;
        if (history != null) {
            history.start();
        }
    }

    /** Bound port (useful with http.port=0). */
    public int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(settings.bind(), port());
    }

    @Override
    public synchronized void close() throws Exception {
        if (history != null) {
            history.close();
        }
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /** Small helper for sections built of key/value pairs in a fixed order. */
    public static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
