package io.postern.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free TCP ports on loopback for servers started by a test. They are taken below the kernel's
 * ephemeral range ({@code net.ipv4.ip_local_port_range}): a port the kernel picked with bind(0)
 * lies inside that range, and between the pick and the server's own bind the kernel could hand the
 * same number to any outgoing connection as its source port (a node's LDAP or LMTP connections),
 * and the server then fails with "Address already in use". No connection takes a port below the
 * range by itself, so a port found free there stays free until a test binds it. Each JVM walks the
 * range from a random point and never hands a port out twice.
 */
public final class Ports {
    /** Above the fixed ports the demo and the tests use (2110-10389). */
    private static final int LOW = 20_000;
    private static final int HIGH = ephemeralLow() - 1;
    private static final AtomicInteger NEXT = new AtomicInteger(
            HIGH > LOW ? ThreadLocalRandom.current().nextInt(LOW, HIGH + 1) : 0);

    private Ports() {
    }

    /** A port that is free on 127.0.0.1 and that no outgoing connection will take meanwhile. */
    public static int free() {
        if (HIGH <= LOW) {
            return kernelPick(); // an unusual port range: the old way
        }
        int size = HIGH - LOW + 1;
        for (int tries = 0; tries < size; tries++) {
            int port = LOW + Math.floorMod(NEXT.getAndIncrement() - LOW, size);
            if (bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port between " + LOW + " and " + HIGH);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static int kernelPick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range (Linux's default, 32768, when unreadable). */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
