package io.postern.pop3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A raw line client for tests: sends exactly the bytes given, reads CRLF lines with a timeout. */
final class Pop3Client implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    Pop3Client(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void upgrade(javax.net.ssl.SSLSocketFactory factory) throws IOException {
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) factory.createSocket(socket, "127.0.0.1", socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
    }

    void send(String line) throws IOException {
        sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One line without CRLF; throws on EOF. */
    String line() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = buffer.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            buffer.write(b);
        }
        throw new IOException("connection closed; partial: " + buffer);
    }

    String command(String line) throws IOException {
        send(line);
        return line();
    }

    /** The lines of a multi-line body up to (not including) the terminating dot, still dot-stuffed. */
    List<String> body() throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line = line(); !line.equals("."); line = line()) {
            lines.add(line);
        }
        return lines;
    }

    /** The raw octets of a multi-line body including the final ".\r\n". */
    byte[] rawBody() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int[] last = {-1, -1, -1, -1};
        int count = 0;
        int b;
        while ((b = in.read()) >= 0) {
            buffer.write(b);
            count++;
            last[0] = last[1];
            last[1] = last[2];
            last[2] = last[3];
            last[3] = b;
            if (last[3] == '\n' && last[2] == '\r' && last[1] == '.' && (count == 3 || last[0] == '\n')) {
                return buffer.toByteArray();
            }
        }
        throw new IOException("connection closed in body");
    }

    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    void login(String user, String password) throws IOException {
        line();
        command("USER " + user);
        String reply = command("PASS " + password);
        if (!reply.startsWith("+OK")) {
            throw new IOException("login failed: " + reply);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
