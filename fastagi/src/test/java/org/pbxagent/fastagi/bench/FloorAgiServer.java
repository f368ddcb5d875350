package org.pbxagent.fastagi.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.List;

/**
 * The floor for the throughput ratio: the least a FastAGI server can do on one selector thread. It looks for the
 * empty line that ends the environment block (no parsing), then writes the given commands lock-step (each after the
 * previous reply line) and closes. No script, no limits, no timeouts, no counters.
 */
final class FloorAgiServer implements AutoCloseable {
    private final List<byte[]> answer;
    private final ServerSocketChannel listener;
    private final Selector selector;
    private final Thread thread;
    private volatile boolean running = true;
    volatile long served;

    /** Per connection: 0 = in the environment block, n = waiting for the reply to command n; last byte seen. */
    private static final class Conn {
        int phase;
        byte last;
    }

    /** @param answer the commands, each with its line end, sent in this order */
    FloorAgiServer(List<byte[]> answer) throws IOException {
        this.answer = answer;
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        listener.configureBlocking(false);
        selector = Selector.open();
        listener.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::run, "floor-selector");
        thread.setDaemon(true);
        thread.start();
    }

    int port() throws IOException {
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // served has one writer, this thread; volatile is for the reader
    private void run() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (running) {
                selector.select(100);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.isAcceptable()) {
                        SocketChannel c;
                        while ((c = listener.accept()) != null) {
                            c.configureBlocking(false);
                            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            c.register(selector, SelectionKey.OP_READ, new Conn());
                        }
                        continue;
                    }
                    SocketChannel c = (SocketChannel) k.channel();
                    Conn s = (Conn) k.attachment();
                    buf.clear();
                    int n;
                    try {
                        n = c.read(buf);
                    } catch (IOException e) {
                        n = -1;
                    }
                    if (n < 0) {
                        k.cancel();
                        c.close();
                        continue;
                    }
                    byte[] a = buf.array();
                    for (int i = 0; i < n; i++) {
                        byte b = a[i];
                        if (b == '\n') {
                            if (s.phase == 0 && s.last == '\n' || s.phase > 0 && s.phase < answer.size()) {
                                c.write(ByteBuffer.wrap(answer.get(s.phase++)));
                            } else if (s.phase == answer.size()) {
                                served++;
                                k.cancel();
                                c.close();
                                break;
                            }
                        }
                        s.last = b;
                    }
                }
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            k.channel().close();
        }
        selector.close();
        listener.close();
    }
}
