package io.postern.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.smtp.SmtpTestClient;
import io.postern.smtp.SmtpTestServer;
import io.postern.testing.LogCapture;
import io.postern.testing.MapDirectory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PROXY protocol on a real SMTP listener on loopback: 127.0.0.1 plays the balancer, the
 * header carries the client 192.0.2.7, and relay.trustedNetworks lets only 192.0.2.0/24 relay.
 * So a relay that is allowed, a Received: header and a log line naming 192.0.2.7 can only come
 * from the carried address; refusals are seen as a close without a greeting (or after it).
 */
class ProxyProtocolTest {
    private static final String CLIENT = "192.0.2.7";

    @TempDir
    Path tmp;

    private SmtpTestServer server(String trustedProxies) throws Exception {
        return new SmtpTestServer("""
                node: {hostname: mx.test}
                listeners:
                  - {kind: mx, port: 2525, proxyProtocol: {enabled: true, trustedProxies: [%s]}}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                relay: {trustedNetworks: [192.0.2.0/24]}
                """.formatted(trustedProxies), tmp, MapDirectory.fixture());
    }

    static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " 127.0.0.1 40000 25\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A PROXY v2 header (RFC: haproxy proxy-protocol.txt 2.2) for TCP over IPv4. */
    static byte[] v2(byte[] client, int extraLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        out.write(0x21); // version 2, PROXY
        out.write(0x11); // TCP over IPv4
        int length = 12 + extraLength;
        out.write(length >> 8);
        out.write(length & 0xff);
        out.writeBytes(client);
        out.writeBytes(new byte[] {127, 0, 0, 1});
        out.writeBytes(new byte[] {(byte) 0x9c, 0x40, 0, 25});
        out.writeBytes(new byte[extraLength]);
        return out.toByteArray();
    }

    private static void relayOneMessage(SmtpTestClient client) throws Exception {
        assertThat(client.readLine()).startsWith("220 mx.test");
        exchange(client, "EHLO client.test", "250 ");
        exchange(client, "MAIL FROM:<someone@client.test>", "250 ");
        // Not a local domain: only a relay client (relay.trustedNetworks) gets 250.
        exchange(client, "RCPT TO:<friend@elsewhere.test>", "250 ");
        exchange(client, "DATA", "354 ");
        client.send("Subject: relayed\r\n\r\nbody\r\n.");
        assertThat(client.reply()).startsWith("250 ");
        exchange(client, "QUIT", "221 ");
    }

    @Test
    void v1HeaderFromATrustedProxyMakesTheCarriedAddressTheClient() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("127.0.0.1/32")) {
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v1(CLIENT));
                relayOneMessage(client);
            }
            assertThat(server.sink.stored()).hasSize(1);
            assertThat(server.sink.stored().getFirst().text()).contains("([" + CLIENT + "])");
            assertThat(logs.await("session-end", 1).getFirst()).contains(" client=" + CLIENT + " ");
            assertThat(logs.await("accepted", 1).getFirst()).contains(" client=" + CLIENT);
        }
    }

    @Test
    void v2HeaderFromATrustedProxyMakesTheCarriedAddressTheClient() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("127.0.0.0/8")) {
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v2(new byte[] {(byte) 192, 0, 2, 7}, 0));
                relayOneMessage(client);
            }
            assertThat(server.sink.stored().getFirst().text()).contains("([" + CLIENT + "])");
            assertThat(logs.await("session-end", 1).getFirst()).contains(" client=" + CLIENT + " ");
        }
    }

    @Test
    void theCarriedAddressDecidesRelayingNotTheProxy() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("127.0.0.1/32")) {
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v1("198.51.100.9"));
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, "MAIL FROM:<someone@client.test>", "250 ");
                exchange(client, "RCPT TO:<friend@elsewhere.test>", "554 5.7.1");
            }
            assertThat(logs.await("rejected", 1).getFirst()).contains("reason=relay-denied")
                    .contains("client=198.51.100.9");
        }
    }

    @Test
    void aPeerThatIsNoTrustedProxyIsRefusedWhenItSendsAHeader() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("10.0.0.0/8")) {
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                // A direct client is served at once...
                assertThat(client.readLine()).startsWith("220 ");
                // ...but may not claim another address.
                client.raw(v1(CLIENT));
                assertThat(client.closedByServer()).isTrue();
            }
            assertThat(logs.await("proxy-refused", 1).getFirst()).contains("reason=untrusted-peer")
                    .contains("peer=127.0.0.1");
            assertThat(server.sink.stored()).isEmpty();
            // A direct client that speaks SMTP is served as itself: no relaying for 127.0.0.1.
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, "MAIL FROM:<someone@client.test>", "250 ");
                exchange(client, "RCPT TO:<friend@elsewhere.test>", "554 5.7.1");
            }
        }
    }

    @Test
    void aTrustedProxyThatSendsNoHeaderIsRefused() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("127.0.0.1/32");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.send("EHLO client.test");
            assertThat(client.readLine()).isNull();
            assertThat(logs.await("proxy-refused", 1).getFirst()).contains("reason=malformed-header");
        }
    }

    @Test
    void malformedAndOversizeHeadersAreRefusedAndTheListenerGoesOn() throws Exception {
        try (LogCapture logs = LogCapture.root(); SmtpTestServer server = server("127.0.0.1/32")) {
            byte[][] bad = {
                    "PROXY TCP4 not-an-address 127.0.0.1 40000 25\r\n".getBytes(StandardCharsets.US_ASCII),
                    ("PROXY TCP4 " + "9".repeat(200) + "\r\n").getBytes(StandardCharsets.US_ASCII),
                    "PROXY TCP4 192.0.2.7 127.0.0.1 99999 25\r\n".getBytes(StandardCharsets.US_ASCII),
                    v2(new byte[] {(byte) 192, 0, 2, 7}, 60_000),
                    badVersion(v2(new byte[] {(byte) 192, 0, 2, 7}, 0)),
            };
            for (byte[] header : bad) {
                try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                    assertThat(closedWithoutAReply(client, header)).isTrue();
                }
            }
            assertThat(logs.await("proxy-refused", bad.length)).allSatisfy(line ->
                    assertThat(line).contains("reason=malformed-header"));
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v1(CLIENT));
                relayOneMessage(client);
            }
        }
    }

    @Test
    void theLoginThrottleCountsTheCarriedNetworkNotTheProxy() throws Exception {
        try (SmtpTestServer server = new SmtpTestServer("""
                node: {hostname: mx.test}
                listeners:
                  - {kind: submission, port: 2587, proxyProtocol: {enabled: true, trustedProxies: [127.0.0.1/32]}}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                auth: {allowPlaintext: true, throttle: {maxFailuresPerLogin: 2, delayAfterFailures: 100, ipv4Prefix: 24}}
                """, tmp, MapDirectory.fixture())) {
            String guess = "AUTH PLAIN " + java.util.Base64.getEncoder().encodeToString(
                    "\0alice\0guess".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 2; i++) {
                try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                    client.raw(v1("192.0.2." + (7 + i)));
                    assertThat(client.readLine()).startsWith("220 ");
                    exchange(client, "EHLO client.test", "250 ");
                    exchange(client, guess, "535 ");
                }
            }
            // Same carried network (192.0.2.0/24): locked. Another network behind the same proxy: not.
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v1("192.0.2.9"));
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, guess, "454 4.7.0");
            }
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                client.raw(v1("198.51.100.7"));
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, guess, "535 ");
            }
        }
    }

    /** Sends {@code header}; true when the server closes without a word (a reset counts as a close). */
    private static boolean closedWithoutAReply(SmtpTestClient client, byte[] header) {
        try {
            client.raw(header);
            return client.readLine() == null;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    /** A v2 header whose version nibble is 0xF (only 2 exists). */
    private static byte[] badVersion(byte[] header) {
        header[12] = (byte) 0xF1;
        return header;
    }

    private static void exchange(SmtpTestClient client, String command, String expected) throws Exception {
        client.send(command);
        assertThat(client.reply()).as(command).startsWith(expected);
    }
}
