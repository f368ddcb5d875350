package org.pbxagent.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS for the CLI talking to its own agent: trust the certificates of the agent's key store, nothing else. */
final class AgentTls {
    private AgentTls() {}

    static SSLContext trusting(Path keystore, String password) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            // PKCS12 loads JKS files too (keystore.type.compat).
            ks.load(in, password.toCharArray());
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int n = 0;
        for (String alias : Collections.list(ks.aliases())) {
            Certificate[] chain =
                    ks.isKeyEntry(alias) ? ks.getCertificateChain(alias) : new Certificate[] {ks.getCertificate(alias)};
            if (chain == null) {
                continue;
            }
            for (Certificate c : chain) {
                trusted.setCertificateEntry("agent-" + n++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
