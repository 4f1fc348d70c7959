package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix as an upstream relay: a private Postfix instance (relayhost = Postern's MX port,
 * opportunistic STARTTLS) receives a message on its own smtpd and relays it through Postern,
 * which must accept it into its sink with both trace headers.
 */
class PostfixRelayIT {
    @TempDir
    Path dir;

    private static final String MASTER_CF = """
            %d inet n - n - - smtpd
            pickup unix n - n 60 1 pickup
            cleanup unix n - n - 0 cleanup
            qmgr unix n - n 300 1 qmgr
            tlsmgr unix - - n 1000? 1 tlsmgr
            rewrite unix - - n - - trivial-rewrite
            bounce unix - - n - 0 bounce
            defer unix - - n - 0 bounce
            trace unix - - n - 0 bounce
            verify unix - - n - 1 verify
            flush unix n - n 1000? 0 flush
            proxymap unix - - n - - proxymap
            smtp unix - - n - - smtp
            relay unix - - n - - smtp
            showq unix n - n - - showq
            error unix - - n - - error
            retry unix - - n - - error
            discard unix - - n - - discard
            anvil unix - - n - 1 anvil
            scache unix - - n - 1 scache
            postlog unix-dgram n - n - 1 postlogd
            """;

    @Test
    void postfixRelaysThroughPostern() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (SmtpItNode node = new SmtpItNode(dir.resolve("node"), "")) {
            Path pf = Files.createDirectories(dir.resolve("postfix"));
            Files.createDirectories(pf.resolve("log"));
            Files.createDirectories(pf.resolve("queue"));
            Files.createDirectories(pf.resolve("data"));
            // Postfix's master takes its lock file in data_directory as the postfix user.
            ExternalProcess.run(pf, Duration.ofSeconds(10), List.of("chown", "postfix", pf.resolve("data").toString()));
            int smtpdPort = Ports.free();
            String mainCf = String.join("\n",
                    "compatibility_level = 3.6",
                    "queue_directory = " + pf.resolve("queue"),
                    "data_directory = " + pf.resolve("data"),
                    "maillog_file_prefixes = " + pf,
                    "maillog_file = " + pf.resolve("log/maillog"),
                    "myhostname = relay.test",
                    "inet_interfaces = 127.0.0.1",
                    "inet_protocols = ipv4",
                    "mydestination =",
                    "alias_maps =",
                    "alias_database =",
                    "mynetworks = 127.0.0.0/8",
                    "relayhost = [127.0.0.1]:" + node.mxPort,
                    "smtp_tls_security_level = may",
                    "smtputf8_enable = no",
                    "smtp_helo_name = relay.test",
                    "") + "\n";
            Files.writeString(pf.resolve("main.cf"), mainCf);
            Files.writeString(pf.resolve("master.cf"), MASTER_CF.formatted(smtpdPort));
            ExternalProcess.Result start = ExternalProcess.run(pf, Duration.ofSeconds(60),
                    List.of("script", "-qc", "postfix -c " + pf + " start", "/dev/null"));
            try {
                assertThat(start.exitCode()).as(start.output()).isZero();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!Loopback.accepts("127.0.0.1", smtpdPort) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(Loopback.accepts("127.0.0.1", smtpdPort)).as(start.output() + log(pf)).isTrue();
                send(smtpdPort);
                deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                while (node.accepted().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                assertThat(node.accepted()).as(log(pf)).hasSize(1);
                String stored = Files.readString(node.accepted().getFirst());
                assertThat(stored).startsWith("Received: from relay.test ([127.0.0.1])")
                        .contains("by relay.test (Postfix)").contains("Subject: via postfix")
                        .contains("with ESMTPS");
                assertThat(node.envelopes.getFirst().recipients().getFirst().address().toString())
                        .isEqualTo("alice@example.com");
            } finally {
                ExternalProcess.run(pf, Duration.ofSeconds(30), List.of("postfix", "-c", pf.toString(), "abort"));
            }
        }
    }

    private static String log(Path pf) throws Exception {
        Path log = pf.resolve("log/maillog");
        return Files.exists(log) ? Files.readString(log) : "(no maillog)";
    }

    /** A minimal SMTP client for the one message to Postfix. */
    private static void send(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            expect(in, "220");
            for (String[] step : new String[][] {{"EHLO client.test", "250"}, {"MAIL FROM:<sender@remote.test>", "250"},
                    {"RCPT TO:<alice@example.com>", "250"}, {"DATA", "354"},
                    {"Subject: via postfix\r\n\r\nrelayed body\r\n.", "250"}, {"QUIT", "221"}}) {
                out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                expect(in, step[1]);
            }
        }
    }

    private static void expect(BufferedReader in, String code) throws Exception {
        String line;
        do {
            line = in.readLine();
            assertThat(line).isNotNull().startsWith(code);
        } while (line.charAt(3) == '-');
    }
}
