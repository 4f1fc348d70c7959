package io.postern.milter;

import io.postern.config.MilterAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * One socket to one milter, TCP or unix-domain, used by one thread at a time. Every read, write
 * and the connect take an absolute deadline ({@link System#nanoTime()}); a selector enforces it,
 * since unix-domain sockets have no read timeout. Mutable, not thread-safe; closing is idempotent.
 */
final class MilterConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final ByteBuffer header = ByteBuffer.allocate(5);

    private MilterConnection(SocketChannel channel, Selector selector) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.key = channel.register(selector, 0);
    }

    static MilterConnection open(MilterAddress address, long deadline) throws IOException {
        SocketAddress target;
        SocketChannel channel;
        switch (address) {
            case MilterAddress.Inet inet -> {
                target = new InetSocketAddress(inet.host(), inet.port());
                if (((InetSocketAddress) target).isUnresolved()) {
                    throw new IOException("cannot resolve " + inet.host());
                }
                channel = SocketChannel.open(((InetSocketAddress) target).getAddress() instanceof java.net.Inet6Address
                        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                // Macros then command, then wait: with Nagle's algorithm the second small write
                // waits for the milter's delayed ACK, 40 ms per command.
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            case MilterAddress.Unix unix -> {
                target = UnixDomainSocketAddress.of(unix.path());
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            }
        }
        Selector selector = null;
        try {
            channel.configureBlocking(false);
            selector = Selector.open();
            MilterConnection connection = new MilterConnection(channel, selector);
            if (!channel.connect(target)) {
                connection.await(SelectionKey.OP_CONNECT, deadline, "connect");
                channel.finishConnect();
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    void write(byte[] frame, long deadline) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(frame);
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                await(SelectionKey.OP_WRITE, deadline, "write");
            }
        }
    }

    /** Reads one frame: the command byte and its data, bounded by {@link MilterCodec#MAX_FRAME}. */
    Frame read(long deadline) throws IOException {
        header.clear();
        fill(header, deadline);
        header.flip();
        int length = header.getInt();
        byte command = header.get();
        if (length < 1 || length > MilterCodec.MAX_FRAME) {
            throw new MilterProtocolException("frame length " + length + " out of bounds");
        }
        ByteBuffer data = ByteBuffer.allocate(length - 1);
        fill(data, deadline);
        return new Frame(command, data.array());
    }

    record Frame(byte command, byte[] data) {
    }

    private void fill(ByteBuffer buffer, long deadline) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer);
            if (n < 0) {
                throw new MilterClosedException();
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline, "reply");
            }
        }
    }

    /** True when the milter has closed its end or sent something unasked: not fit for reuse. */
    boolean staleOrClosed() {
        try {
            key.interestOps(SelectionKey.OP_READ);
            return selector.selectNow() > 0;
        } catch (IOException | RuntimeException e) {
            return true;
        } finally {
            selector.selectedKeys().clear();
        }
    }

    private void await(int op, long deadline, String what) throws IOException {
        key.interestOps(op);
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new MilterTimeoutException(what);
                }
                int ready = selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                if (ready > 0) {
                    return;
                }
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted waiting for " + what);
                }
            }
        } finally {
            if (key.isValid()) {
                key.interestOps(0);
            }
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // Closing: nothing left to tell the milter.
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // Same.
        }
    }

    /** The milter closed the connection. */
    static final class MilterClosedException extends IOException {
        MilterClosedException() {
            super("milter closed the connection");
        }
    }

    /** A phase deadline passed. */
    static final class MilterTimeoutException extends IOException {
        MilterTimeoutException(String what) {
            super("timed out waiting for " + what);
        }
    }
}
