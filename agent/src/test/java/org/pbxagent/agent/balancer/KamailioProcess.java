package org.pbxagent.agent.balancer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kamailio 5.6 started from the shipped etc/kamailio/kamailio.cfg, unchanged: only its #!trydef site values are
 * given on the command line (-A), so the test proves the file users install. The test reads Kamailio's state
 * through the operator's JSON-RPC socket, as a client on the proxy host (127.0.0.1).
 */
public final class KamailioProcess implements AutoCloseable {
    final Path dir;
    public final int sipPort;
    /** The agents' endpoint (AGENT_PORT). */
    final int rpcPort;
    /** The operator's JSON-RPC (OPS_PORT). */
    final int opsPort;

    final List<String> pbxUris;
    private final Path cfg;
    private final KamailioRpc ops;
    private Process process;
    private int starts;

    KamailioProcess(Path dir, int sipPort, int rpcPort, List<String> pbxUris) throws IOException {
        this(dir, sipPort, rpcPort, pbxUris, RealParts.shippedKamailioCfg());
    }

    /** With another config of the same site values (the earlier regex-filtered one, to show what it let through). */
    public KamailioProcess(Path dir, int sipPort, int rpcPort, List<String> pbxUris, Path cfg) throws IOException {
        this.dir = dir;
        this.sipPort = sipPort;
        this.rpcPort = rpcPort;
        this.opsPort = RealParts.freePort("127.0.0.1");
        this.pbxUris = pbxUris;
        this.cfg = cfg;
        this.ops = probeFrom("127.0.0.1");
        StringBuilder list = new StringBuilder();
        for (String u : pbxUris) {
            list.append("1 ").append(u).append(" 0 0\n");
        }
        Files.writeString(dir.resolve("dispatcher.list"), list.toString(), StandardCharsets.US_ASCII);
    }

    /** The agents' endpoint, as kamailio.rpc-urls names it. */
    URI rpcUrl() {
        return URI.create("http://127.0.0.1:" + rpcPort + "/pbx");
    }

    /** The operator's JSON-RPC. */
    URI opsUrl() {
        return URI.create("http://127.0.0.1:" + opsPort + "/RPC");
    }

    KamailioRpc ops() {
        return ops;
    }

    long pid() {
        return process.pid();
    }

    /** Started and not ended since. */
    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Starts it and waits (bounded) until the operator's JSON-RPC answers. */
    public void start() throws Exception {
        start(ops, opsUrl());
    }

    /** Starts it and waits (bounded) until {@code probe} gets an answer to dispatcher.list at {@code url}. */
    void start(KamailioRpc probe, URI url) throws Exception {
        starts++;
        List<String> cmd = new ArrayList<>(List.of(
                "kamailio",
                "-f",
                cfg.toString(),
                "-DD",
                "-E",
                "-m",
                "64",
                "-M",
                "8",
                "-Y",
                dir.toString(),
                "-P",
                dir.resolve("kamailio.pid").toString(),
                "-w",
                dir.toString(),
                "-A",
                "SIP_IP=127.0.0.1",
                "-A",
                "SIP_PORT=" + sipPort,
                "-A",
                "AGENT_IP=127.0.0.1",
                "-A",
                "AGENT_PORT=" + rpcPort,
                "-A",
                "OPS_IP=127.0.0.1",
                "-A",
                "OPS_PORT=" + opsPort,
                "-A",
                "RPC_IP=127.0.0.1",
                "-A",
                "RPC_PORT=" + rpcPort,
                "-A",
                "DS_LIST=\"" + dir.resolve("dispatcher.list") + "\"",
                "-A",
                "CTL_SOCKET=\"unix:" + dir.resolve("kamailio_ctl") + "\""));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("kamailio-" + starts + ".log").toFile()));
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kamailio exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("kamailio-" + starts + ".log")));
            }
            RpcResult r = probe.call(url, "dispatcher.list").get();
            if (r.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("kamailio JSON-RPC did not answer within 15 s");
    }

    /** Dispatcher flags per URI in set 1, as this Kamailio sees them now. */
    Map<String, String> flags() throws Exception {
        RpcResult r = ops.call(opsUrl(), "dispatcher.list").get();
        if (!r.ok()) {
            throw new IllegalStateException("dispatcher.list: " + r);
        }
        return LoadReporter.destinations(r.result(), 1);
    }

    /** The score under {@code key}, or null when Kamailio has none (expired or never set). */
    Integer score(String key) throws Exception {
        RpcResult r = ops.call(opsUrl(), "htable.get", "pbxload", key).get();
        if (!r.ok()) {
            return null;
        }
        return r.result().path("item").path("value").asInt();
    }

    /** Sends a signal (STOP, CONT) to every Kamailio process, by pid. */
    void signal(String name) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + name, Long.toString(process.pid())));
        process.descendants().forEach(h -> cmd.add(Long.toString(h.pid())));
        Process k = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!k.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || k.exitValue() != 0) {
            k.destroyForcibly();
            throw new IllegalStateException("kill -" + name + " failed: "
                    + new String(k.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("kamailio-" + starts + ".log"));
    }

    public void stop() {
        RealParts.stop(process, 5000);
    }

    @Override
    public void close() {
        stop();
        ops.close();
    }

    static KamailioRpc probeFrom(String address) throws IOException {
        return new KamailioRpc(InetAddress.getByName(address), Duration.ofSeconds(1), Duration.ofSeconds(2));
    }
}
