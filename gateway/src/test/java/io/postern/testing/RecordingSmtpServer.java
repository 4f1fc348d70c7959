package io.postern.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * A relay host or LMTP delivery worker written for one purpose: to record every command line it
 * receives exactly as the bytes arrived (split at LF only, so a CR or NUL inside a line, or a line
 * that should not exist, is visible). It offers PIPELINING, DSN, SMTPUTF8, 8BITMIME and SIZE,
 * accepts every MAIL and RCPT, reads DATA up to the dot (content is not a command) and answers it
 * once (SMTP) or once per accepted recipient (LMTP). Unknown commands get 500, as a real server's
 * would. Listens on 127.0.0.1; thread-safe, one virtual thread per connection.
 */
public final class RecordingSmtpServer implements AutoCloseable {
    private final ServerSocket server;
    private final boolean lmtp;
    private final List<List<byte[]>> sessions = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    private RecordingSmtpServer(ServerSocket server, boolean lmtp) {
        this.server = server;
        this.lmtp = lmtp;
    }

    /** {@code lmtp}: answer LHLO and one reply per recipient after DATA. Port 0 picks a free one. */
    public static RecordingSmtpServer start(boolean lmtp) throws IOException {
        RecordingSmtpServer s = new RecordingSmtpServer(
                new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")), lmtp);
        Thread.ofVirtual().name(lmtp ? "recording-lmtp" : "recording-smtp").start(s::accept);
        return s;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every command line so far, raw, line end included, in arrival order per connection. */
    public synchronized List<byte[]> lines() {
        return sessions.stream().flatMap(List::stream).toList();
    }

    /** The command lines of each connection so far, as text without CRLF (a line without CRLF is kept whole). */
    public synchronized List<List<String>> sessions() {
        return sessions.stream().map(lines -> lines.stream().map(l -> {
            String s = new String(l, StandardCharsets.UTF_8);
            return s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s;
        }).toList()).toList();
    }

    /** Waits (bounded) until the sessions so far satisfy {@code done}. */
    public void await(Duration timeout, Predicate<List<List<String>>> done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (done.test(sessions())) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("not done within " + timeout + "; got " + sessions());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                synchronized (this) {
                    sockets.add(socket);
                }
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
             OutputStream out = socket.getOutputStream()) {
            List<byte[]> lines = new ArrayList<>();
            synchronized (this) {
                sessions.add(lines);
            }
            reply(out, "220 recorder.test " + (lmtp ? "LMTP" : "ESMTP") + "\r\n");
            int recipients = 0;
            byte[] line;
            while ((line = readLine(in)) != null) {
                synchronized (this) {
                    lines.add(line);
                }
                String text = new String(line, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
                if (text.startsWith(lmtp ? "LHLO " : "EHLO ")) {
                    reply(out, "250-recorder.test\r\n250-PIPELINING\r\n250-DSN\r\n250-SMTPUTF8\r\n250-8BITMIME\r\n"
                            + "250 SIZE 100000000\r\n");
                } else if (text.startsWith("MAIL FROM:")) {
                    recipients = 0;
                    reply(out, "250 2.1.0 ok\r\n");
                } else if (text.startsWith("RCPT TO:")) {
                    recipients++;
                    reply(out, "250 2.1.5 ok\r\n");
                } else if (text.equals("DATA\r\n")) {
                    reply(out, "354 go ahead\r\n");
                    byte[] data;
                    while ((data = readLine(in)) != null && !new String(data, StandardCharsets.US_ASCII).equals(".\r\n")) {
                        // message content, not a command
                    }
                    reply(out, "250 2.0.0 accepted\r\n".repeat(lmtp ? Math.max(1, recipients) : 1));
                } else if (text.equals("RSET\r\n") || text.equals("NOOP\r\n")) {
                    reply(out, "250 2.0.0 ok\r\n");
                } else if (text.equals("QUIT\r\n")) {
                    reply(out, "221 2.0.0 bye\r\n");
                    return;
                } else {
                    reply(out, "500 5.5.1 unknown command\r\n");
                }
            }
        } catch (IOException e) {
            // the client hung up
        }
    }

    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                return line.toByteArray();
            }
        }
        return line.size() == 0 ? null : line.toByteArray();
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
