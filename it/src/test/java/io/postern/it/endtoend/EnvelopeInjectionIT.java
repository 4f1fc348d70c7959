package io.postern.it.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.RecordingSmtpServer;
import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * Issue 19, item 1, on the real path: an unauthenticated client on the MX listener of the real
 * postern jar (role front, directory in a real slapd) tries to smuggle commands through ORCPT,
 * ENVID and AUTH= ({@code +0D+0A} in xtext, {@code \x{0A}} in RFC 6533 form); the message is
 * queued, routed (a local mailbox, a relayed remote address and an alias that forwards to a remote
 * address) and sent to a relay host and to an LMTP delivery worker. Both peers are recording
 * servers in this test: every line either received is checked, byte for byte, against exactly the
 * commands expected, with every parameter re-encoded.
 */
class EnvelopeInjectionIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    static Slapd slapd;
    static RecordingSmtpServer relay;
    static RecordingSmtpServer worker;
    static ExternalProcess node;
    static int mx;

    @BeforeAll
    static void start() throws Exception {
        slapd = Slapd.start(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/demo.ldif"));
        ExternalProcess.Result seeded = slapd.modify("""
                dn: cn=fwd,ou=aliases,dc=example,dc=test
                changetype: add
                objectClass: top
                objectClass: posternMailAlias
                cn: fwd
                mail: fwd@example.test
                posternForwardingAddress: pal@remote.example
                """);
        assertThat(seeded.exitCode()).as(seeded.output()).isZero();
        relay = RecordingSmtpServer.start(false);
        worker = RecordingSmtpServer.start(true);
        mx = Ports.free();
        int admin = Ports.free();
        Path home = Files.createDirectories(dir.resolve("node"));
        Path config = Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: mx.example.test, role: front, drainTimeout: 2s }
                listeners:
                  - { name: mx, kind: mx, port: %d }
                admin: { port: %d }
                directory:
                  urls: [%s]
                  baseDn: dc=example,dc=test
                  bindDn: %s
                  bindPassword: ${env:POSTERN_LDAP_PASSWORD}
                domains: [example.test]
                relay: { trustedNetworks: [127.0.0.0/8] }
                queue: { directory: queue, retrySchedule: [1s] }
                spool: { root: spool }
                outbound:
                  relayHost: { host: "127.0.0.1:%d", tls: none }
                  lmtpTargets: ["127.0.0.1:%d"]
                  timeouts: { connect: 2s, greeting: 5s, helo: 5s, mail: 5s, rcpt: 5s, dataInit: 5s, dataBlock: 5s, dataDone: 5s }
                """.formatted(mx, admin, slapd.url(), slapd.bindDn(), relay.port(), worker.port()));
        List<String> command = new ArrayList<>(PosternProcess.command(home, "serve", "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("node.log").toFile());
        builder.environment().put("POSTERN_LDAP_PASSWORD", slapd.password());
        node = ExternalProcess.adopt("node", builder.start(), home.resolve("node.log"));
        node.awaitLog(Duration.ofSeconds(60), "event=started");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node, relay, worker, slapd}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void injectedLineBreaksAreRefusedAndEveryHopGetsExactlyTheExpectedCommands() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", mx), 2000);
            socket.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            send(out, "EHLO attacker.example");
            String line;
            while ((line = in.readLine()) != null && line.startsWith("250-")) {
                // capabilities
            }
            assertThat(line).startsWith("250 ");
            // MAIL: a CRLF (or NUL) hidden in ENVID or AUTH= is refused, and a valid MAIL then still works.
            assertThat(command(in, out, "MAIL FROM:<sender@remote.example> ENVID=x+0D+0ARSET"))
                    .isEqualTo("501 5.5.4 Control characters in parameter value");
            assertThat(command(in, out, "MAIL FROM:<sender@remote.example> AUTH=a+0D+0ADATA@remote.example"))
                    .isEqualTo("501 5.5.4 Control characters in parameter value");
            assertThat(command(in, out, "MAIL FROM:<sender@remote.example> ENVID=env+20+2B1+3D")).startsWith("250 ");
            // RCPT: the attack of the issue, a whole second transaction inside ORCPT, in both encodings.
            assertThat(command(in, out, "RCPT TO:<friend@remote.example> ORCPT=rfc822;x+0D+0ARSET+0D+0AMAIL+20FROM:"
                    + "<evil@evil.example>+0D+0ARCPT+20TO:<victim@remote.example>+0D+0ADATA"))
                    .isEqualTo("501 5.5.4 Control characters in parameter value");
            assertThat(command(in, out, "RCPT TO:<alice@example.test> ORCPT=utf-8;alice\\x{0D}\\x{0A}RSET"))
                    .isEqualTo("501 5.5.4 Control characters in parameter value");
            assertThat(command(in, out, "RCPT TO:<alice@example.test> ORCPT=rfc822;a+00b")).isEqualTo(
                    "501 5.5.4 Control characters in parameter value");
            // Valid values full of specials: accepted, and re-encoded for every hop.
            assertThat(command(in, out, "RCPT TO:<alice@example.test> ORCPT=rfc822;alice+2Btag+20x@example.test"))
                    .startsWith("250 ");
            assertThat(command(in, out, "RCPT TO:<friend@remote.example> NOTIFY=SUCCESS,FAILURE "
                    + "ORCPT=utf-8;fr\\x{E9}d\\x{2B}@example.org")).startsWith("250 ");
            assertThat(command(in, out, "RCPT TO:<fwd@example.test>")).startsWith("250 ");
            assertThat(command(in, out, "DATA")).startsWith("354 ");
            send(out, "Subject: envelope injection\r\n\r\nhello\r\n.");
            assertThat(in.readLine()).startsWith("250 ");
            send(out, "QUIT");
        }
        // The queue delivers per destination domain, so the relay host gets two transactions (friend@, and
        // pal@ behind the alias), on one pooled session or two: compared as a set, every line accounted for.
        relay.await(WAIT, sessions -> transactions(sessions, "EHLO mx.example.test").size() >= 2);
        worker.await(WAIT, sessions -> transactions(sessions, "LHLO mx.example.test").size() >= 1);
        assertEveryLineIsOneCleanLine(relay);
        assertEveryLineIsOneCleanLine(worker);
        String mail = "MAIL FROM:<sender@remote\\.example> SIZE=\\d+ ENVID=env\\+20\\+2B1\\+3D";
        List<List<String>> relayed = transactions(relay.sessions(), "EHLO mx.example.test");
        assertThat(relayed).as(relay.sessions().toString()).hasSize(2);
        for (List<String> t : relayed) {
            assertThat(t.getFirst()).matches(mail);
            assertThat(t.getLast()).isEqualTo("DATA");
        }
        assertThat(relayed).extracting(t -> t.subList(1, t.size() - 1)).containsExactlyInAnyOrder(
                List.of("RCPT TO:<friend@remote.example> NOTIFY=FAILURE,SUCCESS ORCPT=utf-8;fr\\x{E9}d\\x{2B}@example.org"),
                List.of("RCPT TO:<pal@remote.example> ORCPT=rfc822;fwd@example.test"));
        List<List<String>> handed = transactions(worker.sessions(), "LHLO mx.example.test");
        assertThat(handed).as(worker.sessions().toString()).singleElement().satisfies(t -> {
            assertThat(t).hasSize(3);
            assertThat(t.get(0)).matches(mail);
            assertThat(t.get(1)).isEqualTo("RCPT TO:<alice@example.test> ORCPT=rfc822;alice+2Btag+20x@example.test");
            assertThat(t.get(2)).isEqualTo("DATA");
        });
        assertThat(node.logText()).doesNotContain("event=outbound-line-refused");
    }

    /**
     * The transactions ({@code MAIL ... DATA}) in these sessions. Each session must be exactly: the
     * hello, then transactions, separated by the pool's RSET probe, and at most a final QUIT; any
     * other line (an injected command) fails the test.
     */
    private static List<List<String>> transactions(List<List<String>> sessions, String hello) {
        List<List<String>> out = new ArrayList<>();
        for (List<String> session : sessions) {
            if (session.isEmpty()) {
                continue; // connected, hello not read yet
            }
            assertThat(session.getFirst()).as(sessions.toString()).isEqualTo(hello);
            List<String> current = null;
            for (int i = 1; i < session.size(); i++) {
                String line = session.get(i);
                if (current == null) {
                    if (line.startsWith("MAIL FROM:")) {
                        current = new ArrayList<>(List.of(line));
                    } else {
                        assertThat(line).as(sessions.toString()).isIn("RSET", "QUIT");
                        assertThat(line.equals("QUIT") && i != session.size() - 1).as(sessions.toString()).isFalse();
                    }
                } else {
                    assertThat(line).as(sessions.toString()).matches("RCPT TO:.*|DATA");
                    current.add(line);
                    if (line.equals("DATA")) {
                        out.add(List.copyOf(current));
                        current = null;
                    }
                }
            }
        }
        return out;
    }

    private static void assertEveryLineIsOneCleanLine(RecordingSmtpServer peer) {
        for (byte[] line : peer.lines()) {
            String shown = new String(line, StandardCharsets.ISO_8859_1);
            assertThat(line.length).as(shown).isGreaterThanOrEqualTo(2);
            assertThat(line[line.length - 2]).as(shown).isEqualTo((byte) '\r');
            for (int i = 0; i < line.length - 2; i++) {
                assertThat(line[i]).as(shown + " at " + i).isNotIn((byte) '\r', (byte) '\n', (byte) 0);
            }
        }
    }

    private static void send(OutputStream out, String line) throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String command(BufferedReader in, OutputStream out, String line) throws Exception {
        send(out, line);
        String reply = in.readLine();
        assertThat(reply).as("reply to " + line).isNotNull();
        return reply;
    }
}
