package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private dnsmasq on 127.0.0.1 and a free port, serving only the records a test declares:
 * MX records, host addresses, CNAMEs, null MX. Names under a {@link Builder#localDomain} that
 * are not declared answer NXDOMAIN; any other name answers REFUSED (no upstream servers), which a
 * client sees as a temporary DNS failure. Mutable builder; the started server is closed with the test.
 */
public final class Dnsmasq implements AutoCloseable {
    private final ExternalProcess process;
    private final int port;

    private Dnsmasq(ExternalProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int port() {
        return port;
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }

    /** What to serve. */
    public static final class Builder {
        private final List<String> options = new ArrayList<>();

        public Builder localDomain(String domain) {
            options.add("--local=/" + domain + "/");
            return this;
        }

        public Builder mx(String domain, String host, int preference) {
            options.add("--mx-host=" + domain + "," + host + "," + preference);
            return this;
        }

        /** RFC 7505: "MX 0 ." */
        public Builder nullMx(String domain) {
            return mx(domain, ".", 0);
        }

        public Builder host(String name, String address) {
            options.add("--host-record=" + name + "," + address);
            return this;
        }

        /** Any other dnsmasq record option, such as {@code --srv-host=_ldap._tcp.example.test,host,389,0,100}. */
        public Builder option(String option) {
            options.add(option);
            return this;
        }

        public Builder cname(String alias, String target) {
            options.add("--cname=" + alias + "," + target);
            return this;
        }

        public Dnsmasq start(Path dir) throws IOException, InterruptedException {
            int port = Ports.free();
            List<String> command = new ArrayList<>(List.of("dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                    "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                    "--pid-file=", "--user=root", "--log-facility=-", "--log-queries"));
            command.addAll(options);
            ExternalProcess process = ExternalProcess.start("dnsmasq", dir, command);
            process.awaitReady(Duration.ofSeconds(10), () -> Loopback.accepts("127.0.0.1", port)
                    && logSays(process, "started"));
            return new Dnsmasq(process, port);
        }

        private static boolean logSays(ExternalProcess process, String text) {
            try {
                return process.logText().contains(text);
            } catch (IOException e) {
                return false;
            }
        }
    }
}
