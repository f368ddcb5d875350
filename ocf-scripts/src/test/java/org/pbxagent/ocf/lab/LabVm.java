package org.pbxagent.ocf.lab;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * One guest of the kernel lab: QEMU (TCG) booting Debian's kernel with the cached root image (copy-on-write, so
 * every VM of every run starts from the same image), the run's tar disk, the serial console to a file that is
 * followed line by line with the host's time of arrival, and the command channel on the second serial port.
 */
final class LabVm implements AutoCloseable {

    /** A line of the guest's console, with the host's {@link System#nanoTime()} when it was read. */
    record Line(long nanos, String text) {}

    /** A command's answer: exit code, output, time inside the guest and as seen from the host. */
    record Answer(int rc, String out, double guestSeconds, long hostMillis) {
        @Override
        public String toString() {
            return "rc=" + rc + " guest=" + guestSeconds + "s host=" + hostMillis + "ms\n" + out;
        }
    }

    final String name;
    final Path console;
    private final Process qemu;
    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Thread follower;
    private volatile SocketChannel control;
    private volatile boolean hello;
    private volatile boolean closing;
    private Path qemuLog;

    private LabVm(String name, Path console, Process qemu) {
        this.name = name;
        this.console = console;
        this.qemu = qemu;
        this.follower = new Thread(this::followConsole, "console-" + name);
        follower.setDaemon(true);
        follower.start();
    }

    /**
     * Starts the VM inside {@code net}. {@code linkLocal}/{@code linkPeer} are the UDP ports of the cluster link
     * (a stateless QEMU socket link: either side may restart).
     */
    static LabVm start(
            LabNet net, LabImage image, Path dir, String name, int nodeNumber, Path tar, int linkLocal, int linkPeer)
            throws Exception {
        return start(net, image, dir, name, nodeNumber, tar, linkLocal, linkPeer, "", List.of());
    }

    /**
     * As above, with options for the user-mode network ({@code ",hostfwd=..."}) and more QEMU arguments (a third
     * network card: eth2).
     */
    static LabVm start(
            LabNet net,
            LabImage image,
            Path dir,
            String name,
            int nodeNumber,
            Path tar,
            int linkLocal,
            int linkPeer,
            String userNetOptions,
            List<String> extra)
            throws Exception {
        // A node booted again keeps the console of its earlier life: "pbx2-console.txt", "pbx2.2-console.txt".
        String file = name;
        for (int boot = 2; Files.exists(dir.resolve(file + "-console.txt")); boot++) {
            file = name + "." + boot;
        }
        Path console = dir.resolve(file + "-console.txt");
        Files.createFile(console);
        Path sock = dir.resolve(file + "-ctl.sock");
        Files.deleteIfExists(sock);
        List<String> argv = new ArrayList<>(List.of(
                image.qemu(),
                "-accel",
                "tcg",
                "-cpu",
                "max",
                "-m",
                "768",
                "-smp",
                "1",
                "-nodefaults",
                "-display",
                "none",
                "-vga",
                "none",
                "-monitor",
                "none",
                "-no-reboot",
                "-kernel",
                image.dir().resolve("vmlinuz").toString(),
                "-initrd",
                image.dir().resolve("initrd.img").toString(),
                "-append",
                "console=ttyS0,115200 loglevel=7 panic=-1 random.trust_cpu=on net.ifnames=0",
                "-serial",
                "file:" + console,
                "-chardev",
                "socket,id=ctl,path=" + sock + ",server=on,wait=off",
                "-serial",
                "chardev:ctl",
                "-drive",
                "file=" + image.dir().resolve("rootfs.img") + ",if=virtio,format=raw,snapshot=on",
                "-drive",
                "file=" + tar + ",if=virtio,format=raw,readonly=on",
                "-netdev",
                "user,id=san,ipv6=off" + userNetOptions,
                "-device",
                "virtio-net-pci,netdev=san,mac=52:54:00:12:00:0" + nodeNumber,
                "-netdev",
                "socket,id=link,udp=127.0.0.1:" + linkPeer + ",localaddr=127.0.0.1:" + linkLocal,
                "-device",
                "virtio-net-pci,netdev=link,mac=52:54:00:77:00:0" + nodeNumber));
        argv.addAll(extra);
        Process p = new ProcessBuilder(net.inside(argv.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(file + "-qemu.log").toFile())
                .start();
        LabVm vm = new LabVm(name, console, p);
        vm.qemuLog = dir.resolve(file + "-qemu.log");
        try {
            vm.connect(sock, Duration.ofSeconds(30));
        } catch (Exception e) {
            vm.close();
            throw e;
        }
        return vm;
    }

    private void connect(Path sock, Duration budget) throws Exception {
        long deadline = System.nanoTime() + budget.toNanos();
        while (true) {
            if (!qemu.isAlive()) {
                throw new IllegalStateException(
                        name + ": qemu exited with " + qemu.exitValue() + ": " + Files.readString(qemuLog));
            }
            if (Files.exists(sock)) {
                try {
                    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    ch.connect(UnixDomainSocketAddress.of(sock));
                    control = ch;
                    Thread reader = new Thread(() -> readControl(ch), "control-" + name);
                    reader.setDaemon(true);
                    reader.start();
                    return;
                } catch (IOException e) {
                    // not listening yet
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + ": no control socket " + sock + " within " + budget);
            }
            Thread.sleep(50);
        }
    }

    private void readControl(SocketChannel ch) {
        // Straight channel reads: a stream from Channels would hold the channel's lock while blocked in read,
        // and the writer would wait for it.
        ByteBuffer buf = ByteBuffer.allocate(65536);
        StringBuilder line = new StringBuilder();
        try {
            while (ch.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    char c = (char) (buf.get() & 0xff);
                    if (c == '\n') {
                        onControlLine(line.toString());
                        line.setLength(0);
                    } else if (c != '\r') {
                        line.append(c);
                    }
                }
                buf.clear();
            }
        } catch (IOException | RuntimeException e) {
            // the VM went away; waiting callers notice
        }
    }

    private void onControlLine(String line) {
        int at = line.indexOf("@@");
        if (at < 0) {
            return;
        }
        String[] f = line.substring(at).split(" ", 5);
        if (f[0].equals("@@HELLO")) {
            hello = true;
        } else if (f[0].equals("@@RESULT") && f.length >= 4) {
            String out = f.length == 5 && !f[4].isBlank()
                    ? new String(Base64.getDecoder().decode(f[4].strip()), StandardCharsets.UTF_8)
                    : "";
            answers.put(f[1], new Answer(Integer.parseInt(f[2]), out, Double.parseDouble(f[3]), -1));
        }
    }

    private void send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            control.write(b);
        }
    }

    private void followConsole() {
        try (RandomAccessFile f = new RandomAccessFile(console.toFile(), "r")) {
            StringBuilder partial = new StringBuilder();
            byte[] buf = new byte[8192];
            while (true) {
                int n = f.read(buf);
                if (n <= 0) {
                    if (closing && !qemu.isAlive()) {
                        return;
                    }
                    Thread.sleep(30);
                    continue;
                }
                long now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    char c = (char) (buf[i] & 0xff);
                    if (c == '\n') {
                        lines.add(new Line(now, partial.toString().replace("\r", "")));
                        partial.setLength(0);
                    } else {
                        partial.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // console gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    List<Line> lines() {
        return List.copyOf(lines);
    }

    /** First console line matching {@code p} that arrived at or after {@code since} (nanoTime), waiting up to budget. */
    Line await(Pattern p, long since, Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        int from = 0;
        while (true) {
            List<Line> now = lines();
            for (int i = from; i < now.size(); i++) {
                Line l = now.get(i);
                if (l.nanos >= since && p.matcher(l.text).find()) {
                    return l;
                }
            }
            from = now.size();
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": no console line matching /" + p + "/ within " + budget
                        + "; last lines:\n" + tail(40));
            }
            if (!qemu.isAlive()) {
                Thread.sleep(300); // the follower's last read
                List<Line> last = lines();
                for (int i = from; i < last.size(); i++) {
                    if (last.get(i).nanos >= since
                            && p.matcher(last.get(i).text).find()) {
                        return last.get(i);
                    }
                }
                throw new AssertionError(name + ": VM ended (qemu rc " + qemu.exitValue() + ") before a line matching /"
                        + p + "/; last lines:\n" + tail(40));
            }
            Thread.sleep(50);
        }
    }

    String tail(int n) {
        List<Line> l = lines();
        StringBuilder b = new StringBuilder();
        for (Line x : l.subList(Math.max(0, l.size() - n), l.size())) {
            b.append("  ").append(x.text).append('\n');
        }
        return b.toString();
    }

    /** Waits for the guest's command channel. */
    void awaitReady(Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        while (!hello) {
            if (!qemu.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError(name + ": guest not ready within " + budget + " (alive=" + qemu.isAlive()
                        + "); console:\n" + tail(60));
            }
            Thread.sleep(100);
        }
    }

    /** Runs {@code script} with sh in the guest and waits for its answer (the guest runs one at a time). */
    synchronized Answer sh(String script, Duration budget) throws Exception {
        String id = "c" + ids.incrementAndGet();
        String req = id + " " + Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8)) + "\n";
        long t0 = System.nanoTime();
        send(req);
        long deadline = t0 + budget.toNanos();
        while (true) {
            Answer a = answers.remove(id);
            if (a != null) {
                return new Answer(a.rc, a.out, a.guestSeconds, (System.nanoTime() - t0) / 1_000_000L);
            }
            if (!qemu.isAlive()) {
                throw new AssertionError(name + ": VM ended during `" + firstLine(script) + "`; console:\n" + tail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": no answer to `" + firstLine(script) + "` within " + budget
                        + "; console:\n" + tail(40));
            }
            Thread.sleep(20);
        }
    }

    /** Like {@link #sh} but the command must exit 0. */
    Answer ok(String script, Duration budget) throws Exception {
        Answer a = sh(script, budget);
        if (a.rc != 0) {
            throw new AssertionError(name + ": `" + firstLine(script) + "` failed: " + a);
        }
        return a;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    boolean alive() {
        return qemu.isAlive();
    }

    /** Waits for qemu to end by itself (a panicked or self-fenced guest ends it: panic=-1 with -no-reboot). */
    boolean awaitExit(Duration budget) throws InterruptedException {
        return qemu.waitFor(budget.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks the guest to power off, then ends qemu whatever happened. */
    @Override
    public void close() {
        closing = true;
        try {
            if (qemu.isAlive() && control != null && hello) {
                send("poweroff x\n");
                qemu.waitFor(20, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            // channel gone: kill below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        qemu.destroyForcibly();
        try {
            qemu.waitFor(10, TimeUnit.SECONDS);
            if (control != null) {
                control.close();
            }
        } catch (IOException e) {
            // closing anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
