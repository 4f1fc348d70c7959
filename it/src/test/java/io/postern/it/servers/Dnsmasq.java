package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.SimpleResolver;

/**
 * A private dnsmasq on 127.0.0.1 and a free port, answering only the records a test gives it
 * (no upstream, no /etc/hosts). Ready when it answers a query for a record it was given.
 * Mutable, one owner.
 *
 * <pre>
 * try (Dnsmasq dns = Dnsmasq.start(dir, List.of("--srv-host=_ldap._tcp.ad.example.test,localhost,389,0,100"))) {
 *     ... dns.address() is "127.0.0.1:PORT"
 * }
 * </pre>
 */
public final class Dnsmasq implements AutoCloseable {
    private final ExternalProcess process;
    private final int port;

    private Dnsmasq(ExternalProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** {@code records} are dnsmasq options such as {@code --srv-host=...} or {@code --host-record=...}. */
    public static Dnsmasq start(Path dir, List<String> records, String readyName, int readyType)
            throws IOException, InterruptedException {
        int port = Ports.free();
        List<String> command = new ArrayList<>(List.of("/usr/sbin/dnsmasq", "--keep-in-foreground", "--log-facility=-",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
                "--listen-address=127.0.0.1", "--port=" + port, "--pid-file=",
                "--user=root", "--cache-size=0"));
        command.addAll(records);
        ExternalProcess process = ExternalProcess.start("dnsmasq", dir, command);
        Dnsmasq dns = new Dnsmasq(process, port);
        try {
            process.awaitReady(Duration.ofSeconds(10), () -> dns.answers(readyName, readyType));
        } catch (IOException | InterruptedException | RuntimeException e) {
            process.close();
            throw e;
        }
        return dns;
    }

    private boolean answers(String name, int type) {
        try {
            SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
            resolver.setPort(port);
            resolver.setTimeout(Duration.ofMillis(300));
            Lookup lookup = new Lookup(name, type);
            lookup.setResolver(resolver);
            lookup.setCache(null);
            lookup.run();
            return lookup.getResult() == Lookup.SUCCESSFUL;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** "127.0.0.1:PORT", the form of directory.dnsServer. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
