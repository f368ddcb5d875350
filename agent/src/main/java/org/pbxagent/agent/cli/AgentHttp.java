package org.pbxagent.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * One small HTTP exchange with a running agent. The deadline is a socket deadline (connect, then each read), so it
 * counts from the request on the wire: a JVM that is slow to load its classes on a loaded node does not eat it.
 */
final class AgentHttp {
    /** Answers are a few kB; anything longer is not an agent. */
    private static final int MAX_BODY = 4 * 1024 * 1024;

    record Answer(int status, String body) {}

    private AgentHttp() {}

    /** GET; {@code bearerToken} may be null, {@code tls} is null for plain HTTP. */
    static Answer get(URI uri, String bearerToken, SSLContext tls, Duration timeout) throws IOException {
        return exchange(uri, "GET", bearerToken, tls, timeout);
    }

    /** POST without a body; the token goes in the Authorization header, never in the URL or argv. */
    static Answer post(URI uri, String bearerToken, SSLContext tls, Duration timeout) throws IOException {
        return exchange(uri, "POST", bearerToken, tls, timeout);
    }

    private static Answer exchange(URI uri, String method, String bearerToken, SSLContext tls, Duration timeout)
            throws IOException {
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("expected an http:// or https:// URL");
        }
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(java.net.Proxy.NO_PROXY);
        if (c instanceof HttpsURLConnection https && tls != null) {
            https.setSSLSocketFactory(tls.getSocketFactory());
        }
        try {
            int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            c.setConnectTimeout(ms);
            c.setReadTimeout(ms);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setRequestMethod(method);
            // One exchange per command: no idle connection left in the JDK's keep-alive cache or at the agent.
            c.setRequestProperty("Connection", "close");
            if (bearerToken != null) {
                c.setRequestProperty("Authorization", "Bearer " + bearerToken);
            }
            if ("POST".equals(method)) {
                c.setFixedLengthStreamingMode(0);
                c.setDoOutput(true);
                c.getOutputStream().close();
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = "";
            if (in != null) {
                try (in) {
                    byte[] b = in.readNBytes(MAX_BODY + 1);
                    if (b.length > MAX_BODY) {
                        throw new IOException("answer longer than " + MAX_BODY + " bytes");
                    }
                    body = new String(b, StandardCharsets.UTF_8);
                }
            }
            return new Answer(status, body);
        } finally {
            c.disconnect();
        }
    }
}
