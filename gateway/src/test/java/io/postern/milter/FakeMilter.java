package io.postern.milter;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted milter on loopback (public: the SMTP ITs in it/ use it too), written for the failure cases real filters cannot be made to
 * show on demand. Each command frame it receives goes to the {@link Script}, which answers
 * with frames, or closes, or hangs. Thread-safe (one virtual thread per connection).
 */
public final class FakeMilter implements AutoCloseable {
    /** What to answer to one command; {@link #CLOSE} closes, {@link #HANG} never answers. */
    public interface Script {
        List<byte[]> answer(byte command, byte[] data) throws IOException;
    }

    public static final List<byte[]> CLOSE = new ArrayList<>();
    public static final List<byte[]> HANG = new ArrayList<>();
    /** In an answer: flush what came before, then wait 100 ms. */
    static final byte[] PAUSE = new byte[0];

    private final ServerSocket server;
    private final Script script;
    final AtomicInteger connections = new AtomicInteger();
    /** Every command received, as its letter, in order (all connections). */
    public final List<String> commands = new CopyOnWriteArrayList<>();
    final List<byte[]> frames = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);

    public FakeMilter(Script script) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream raw = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            DataInputStream in = new DataInputStream(raw);
            while (true) {
                int length = in.readInt();
                byte command = in.readByte();
                byte[] data = new byte[length - 1];
                in.readFully(data);
                commands.add(String.valueOf((char) command));
                frames.add(MilterCodecTest.concat(new byte[] {command}, data));
                List<byte[]> answer = script.answer(command, data);
                if (answer == CLOSE) {
                    return;
                }
                if (answer == HANG) {
                    closed.await();
                    return;
                }
                for (byte[] frame : answer) {
                    if (frame == PAUSE) {
                        out.flush();
                        Thread.sleep(100);
                    }
                    out.write(frame);
                }
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // The client went away: the conversation is over.
        }
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
    }

    public static byte[] reply(char command, byte[] data) {
        return ByteBuffer.allocate(5 + data.length).putInt(1 + data.length).put((byte) command).put(data).array();
    }

    public static byte[] reply(char command, String... strings) {
        StringBuilder text = new StringBuilder();
        for (String s : strings) {
            text.append(s).append('\0');
        }
        return reply(command, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] options(int actions, int protocol) {
        return reply('O', ByteBuffer.allocate(12).putInt(6).putInt(actions).putInt(protocol).array());
    }

    /**
     * A well-behaved milter: negotiates every action and every step, continues, and answers
     * end-of-message with {@code atEom} (which should end with accept or a decision).
     */
    public static Script polite(List<byte[]> atEom) {
        return (command, data) -> switch (command) {
            case 'O' -> List.of(options(0x1ff, 0));
            case 'D', 'A', 'K' -> List.of();
            case 'Q' -> CLOSE;
            case 'E' -> atEom;
            default -> List.of(reply('c'));
        };
    }
}
