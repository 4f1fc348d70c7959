package io.postern.it.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Readiness probes on loopback. */
public final class Loopback {
    private Loopback() {
    }

    public static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
