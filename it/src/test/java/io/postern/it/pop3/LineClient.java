package io.postern.it.pop3;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal POP3 line client with bounded waits. */
final class LineClient implements AutoCloseable {
    private final Socket socket = new Socket();
    private final BufferedReader in;
    private final OutputStream out;

    LineClient(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
        String greeting = in.readLine();
        if (greeting == null || !greeting.startsWith("+OK")) {
            throw new IOException("bad greeting: " + greeting);
        }
    }

    String command(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String reply = in.readLine();
        if (reply == null) {
            throw new IOException("closed after " + line);
        }
        return reply;
    }

    /** USER + PASS; the PASS reply. */
    String login(String user, String password) throws IOException {
        command("USER " + user);
        return command("PASS " + password);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
