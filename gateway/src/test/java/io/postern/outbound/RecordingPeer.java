package io.postern.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A loopback SMTP or LMTP server that records every command line exactly as the bytes arrived
 * (split at LF only, so a CR, NUL or bare line break inside a line stays visible) and answers
 * each with a positive reply; message content is read up to the terminating dot and not recorded
 * as commands. Anything it does not know gets 500, so an injected command shows up as a line.
 * Thread-safe; one virtual thread per connection.
 */
final class RecordingPeer implements AutoCloseable {
    private final ServerSocket server;
    private final boolean lmtp;
    private final List<byte[]> lines = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    RecordingPeer(boolean lmtp) throws IOException {
        this.lmtp = lmtp;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Every command line received so far, raw, with its line end. */
    synchronized List<byte[]> lines() {
        return List.copyOf(lines);
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
        try (socket; InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
             OutputStream out = socket.getOutputStream()) {
            reply(out, "220 peer.test " + (lmtp ? "LMTP" : "ESMTP") + " recording\r\n");
            int recipients = 0;
            byte[] line;
            while ((line = readLine(in)) != null) {
                synchronized (this) {
                    lines.add(line);
                }
                String text = new String(line, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
                if (text.startsWith("EHLO ") || text.startsWith("LHLO ")) {
                    reply(out, "250-peer.test\r\n250-PIPELINING\r\n250-DSN\r\n250-SMTPUTF8\r\n250-8BITMIME\r\n"
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
                        // content: not a command
                    }
                    reply(out, ("250 2.0.0 queued\r\n").repeat(lmtp ? recipients : 1));
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
