package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LMTP: the delivery layer's per-recipient outcomes become one reply each, in RCPT order. */
class LmtpOutcomesTest {
    @TempDir
    Path tmp;

    @Test
    void aFullMailboxFailsOnlyItsRecipient() throws Exception {
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("lmtp", "none", ""), tmp,
                MapDirectory.fixture());
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            server.sink.outcome("bob@example.com",
                    new RecipientOutcome.Deferred(452, EnhancedStatus.of("4.2.2"), "mailbox full"));
            server.sink.outcome("info@example.com",
                    new RecipientOutcome.Failed(552, EnhancedStatus.of("5.2.2"), "quota exceeded\r\nINJECTED"));
            assertThat(client.readLine()).startsWith("220 mx.test LMTP");
            client.send("LHLO front.test");
            assertThat(client.reply()).isEqualTo("250 DSN");
            client.send("MAIL FROM:<s@remote.test>");
            client.readLine();
            for (String rcpt : new String[] {"alice@example.com", "bob@example.com", "info@example.com"}) {
                client.send("RCPT TO:<" + rcpt + ">");
                assertThat(client.readLine()).startsWith("250 2.1.5");
            }
            client.send("DATA");
            client.readLine();
            client.send("Subject: q");
            client.send("");
            client.send("x");
            client.send(".");
            assertThat(client.readLine()).isEqualTo("250 2.1.5 <alice@example.com> delivered as T1");
            assertThat(client.readLine()).isEqualTo("452 4.2.2 <bob@example.com> mailbox full");
            assertThat(client.readLine()).isEqualTo("552 5.2.2 <info@example.com> quota exceeded  INJECTED");
            client.send("NOOP");
            assertThat(client.readLine()).startsWith("250 ");
        }
    }

    @Test
    void theFrontsDeliveryKeyIsOfferedOnLmtpAndReachesTheEnvelope() throws Exception {
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("lmtp", "none", ""), tmp,
                MapDirectory.fixture());
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.readLine();
            client.send("LHLO front.test");
            assertThat(lines(client)).contains("250-XPOSTERN-KEY");
            client.send("MAIL FROM:<s@remote.test> XPOSTERN-KEY=0123ABCD:1764780000:R:front-0");
            assertThat(client.readLine()).startsWith("250 ");
            client.send("RCPT TO:<alice@example.com>");
            client.readLine();
            client.send("DATA");
            client.readLine();
            client.send("Subject: q");
            client.send("");
            client.send(".");
            assertThat(client.readLine()).startsWith("250 ");
            assertThat(server.sink.stored()).singleElement().satisfies(s -> assertThat(s.envelope().handoffKey())
                    .contains(new io.postern.mail.HandoffKey("0123ABCD", java.time.Instant.ofEpochSecond(1764780000L),
                            true, "front-0")));
        }
    }

    @Test
    void anSmtpClientCannotSendADeliveryKey() throws Exception {
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("mx", "none", ""), tmp,
                MapDirectory.fixture());
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.readLine();
            client.send("EHLO client.test");
            assertThat(lines(client)).contains("250 DSN").doesNotContain("250-XPOSTERN-KEY");
            client.send("MAIL FROM:<s@remote.test> XPOSTERN-KEY=0123ABCD:1764780000:R:front-0");
            assertThat(client.readLine()).startsWith("555 5.5.4");
        }
    }

    private static java.util.List<String> lines(SmtpTestClient client) throws java.io.IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        String line = client.readLine();
        out.add(line);
        while (line != null && line.length() > 3 && line.charAt(3) == '-') {
            line = client.readLine();
            out.add(line);
        }
        return out;
    }
}
