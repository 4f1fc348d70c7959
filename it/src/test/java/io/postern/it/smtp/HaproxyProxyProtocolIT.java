package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy (Debian's haproxy, TCP mode, {@code send-proxy-v2}) on 127.0.0.1 in front of
 * Postern's MX listener, which trusts 127.0.0.1 as its only proxy. swaks connects to HAProxy from
 * 127.0.0.5 (a relay network) or 127.0.0.6 (not one): Postern decides relaying and writes
 * {@code Received:} with the address HAProxy carried, never HAProxy's own. A direct connection
 * from the trusted proxy address without a header is refused.
 */
class HaproxyProxyProtocolIT {
    @TempDir
    static Path dir;
    private static SmtpItNode node;
    private static ExternalProcess haproxy;
    private static int haproxyPort;

    @BeforeAll
    static void start() throws Exception {
        node = new SmtpItNode(dir.resolve("node"), "relay: {trustedNetworks: [127.0.0.5/32]}\n",
                ", proxyProtocol: {enabled: true, trustedProxies: [127.0.0.1/32]}");
        haproxyPort = Ports.free();
        Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, """
                global
                    log stdout format raw local0
                defaults
                    mode tcp
                    log global
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend smtp_in
                    bind 127.0.0.1:%d
                    default_backend postern
                backend postern
                    server mx 127.0.0.1:%d send-proxy-v2
                """.formatted(haproxyPort, node.mxPort));
        haproxy = ExternalProcess.start("haproxy", dir.resolve("haproxy"),
                List.of("haproxy", "-db", "-f", config.toString()));
        haproxy.awaitReady(Duration.ofSeconds(10), () -> Loopback.accepts("127.0.0.1", haproxyPort));
    }

    @AfterAll
    static void stop() throws Exception {
        if (haproxy != null) {
            haproxy.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private static ExternalProcess.Result swaks(String from, int port, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--timeout", "10", "--local-interface", from,
                "--server", "127.0.0.1:" + port));
        command.addAll(List.of(more));
        return ExternalProcess.run(dir, Duration.ofSeconds(30), command);
    }

    @Test
    void throughHaproxyTheCarriedClientAddressRelaysAndIsRecorded() throws Exception {
        int before = node.accepted().size();
        ExternalProcess.Result r = swaks("127.0.0.5", haproxyPort, "--from", "sender@remote.test",
                "--to", "friend@other.test", "--header", "Subject: via-haproxy");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("250 2.0.0 Ok: queued as");
        String stored = Files.readString(node.accepted().get(before));
        assertThat(stored).contains("Subject: via-haproxy").contains("([127.0.0.5])").doesNotContain("[127.0.0.1]");
    }

    @Test
    void throughHaproxyAClientOutsideTheRelayNetworksMayNotRelay() throws Exception {
        ExternalProcess.Result r = swaks("127.0.0.6", haproxyPort, "--from", "sender@remote.test",
                "--to", "victim@other.test");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("554 5.7.1 Relay access denied");
    }

    @Test
    void theTrustedProxyAddressWithoutAHeaderIsRefused() throws Exception {
        ExternalProcess.Result r = swaks("127.0.0.1", node.mxPort, "--from", "sender@remote.test",
                "--to", "alice@example.com");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).doesNotContain("220 ");
    }
}
