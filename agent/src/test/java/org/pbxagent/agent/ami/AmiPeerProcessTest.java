package org.pbxagent.agent.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The AMI peer as a standalone process, the way other tests and the CI scenario use it as an Asterisk stand-in. */
class AmiPeerProcessTest {

    @Test
    void standalonePeerServesCallsShutsDownRestartsAndCrashes() throws Exception {
        String cp = Path.of(AmiPeer.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(
                        java,
                        "-Xmx64m",
                        "-cp",
                        cp,
                        AmiPeer.class.getName(),
                        "--port",
                        "0",
                        "--username",
                        "u1",
                        "--secret",
                        "s1",
                        "--calls",
                        "4"))
                .redirectErrorStream(true)
                .start();
        AsteriskWatch watch = null;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("AMI peer listening on 127.0.0.1:"), first);
            int port = Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
            OutputStream cmd = p.getOutputStream();

            watch = new AsteriskWatch(
                    AmiSettings.defaults("127.0.0.1", port, "u1", "s1").withTimings(200, 2000));
            watch.start();
            AsteriskState s = await(watch, AsteriskState::available);
            assertEquals(4, s.activeCalls(), "--calls 4 is what the session's count reads");

            command(cmd, out, "shutdown");
            s = await(watch, st -> !st.available());
            // Between two sessions the next connect is refused; inside one (a session every 200 ms, so on a loaded
            // machine often) the session ends with the Shutdown event or, before its login is through, a closed
            // connection.
            assertTrue(
                    s.reason().startsWith("cannot connect")
                            || s.reason().startsWith("Asterisk shut down")
                            || s.reason().startsWith("connection closed by Asterisk"),
                    s.reason());
            command(cmd, out, "calls 2");
            command(cmd, out, "start");
            s = await(watch, AsteriskState::available);
            assertEquals(2, s.activeCalls());

            // SIGSTOP, as a hung Asterisk: the kernel still accepts connections, nothing answers them.
            long t0 = System.nanoTime();
            signal(p, "STOP");
            s = await(watch, st -> !st.available());
            System.out.println("FIGURE SIGSTOPped AMI peer noticed after " + (System.nanoTime() - t0) / 1_000_000
                    + " ms (interval 200 + deadline 2000)");
            assertTrue(
                    s.reason().startsWith("no AMI banner within") || s.reason().startsWith("no reply to"), s.reason());
            signal(p, "CONT");
            s = await(watch, AsteriskState::available);
            assertEquals(2, s.activeCalls());

            cmd.write("crash\n".getBytes(StandardCharsets.UTF_8));
            cmd.flush();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "crash exits the process");
            assertEquals(1, p.exitValue());
            s = await(watch, st -> !st.available());
            assertTrue(s.reason().startsWith("connection") || s.reason().startsWith("cannot connect"), s.reason());
        } finally {
            if (watch != null) {
                watch.stop();
            }
            signal(p, "CONT"); // a stopped process would not act on the TERM below
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static void signal(Process p, String sig) throws Exception {
        if (!p.isAlive()) {
            return;
        }
        Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid()))
                .redirectErrorStream(true)
                .start();
        assertTrue(k.waitFor(10, TimeUnit.SECONDS), "kill -" + sig + " returned");
    }

    private static void command(OutputStream cmd, BufferedReader out, String c) throws Exception {
        cmd.write((c + "\n").getBytes(StandardCharsets.UTF_8));
        cmd.flush();
        String ack = out.readLine();
        assertEquals("ok " + c.split(" ")[0], ack);
    }

    private static AsteriskState await(AsteriskWatch w, Predicate<AsteriskState> p) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            AsteriskState s = w.current();
            if (p.test(s)) {
                return s;
            }
            Thread.sleep(10);
        }
        fail("timed out; last state " + w.current());
        return null;
    }
}
