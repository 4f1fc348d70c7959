package io.postern.queue;

import io.postern.mail.EnvelopeId;
import io.postern.mail.OriginalRecipient;
import static io.postern.queue.QueueFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounces as a mail reader sees them: parsed back with Apache mime4j. */
class DeliveryReportTest {
    @TempDir
    Path dir;

    private QueueFixture.Offer bounceFor(Envelope envelope, String content) throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("example.net")
                ? DeliveryResult.of(r, io.postern.mail.RecipientOutcome.failed(io.postern.mail.EnhancedStatus.of("5.1.1"),
                "550 5.1.1 <" + r.address() + ">: user unknown\r\nInjected: header"), Optional.of("mx.example.net"))
                : DeliveryResult.delivered(r, "ok", Optional.empty());
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            queue.setDeliveryAgent(agent);
            QueueFixture.accept(queue, envelope, content);
            await("agent.to(\"alice@example.test\").size() == 1", () -> agent.to("alice@example.test").size() == 1);
            return agent.to("alice@example.test").get(0);
        }
    }

    private static Message parse(String content) throws Exception {
        return new DefaultMessageBuilder().parseMessage(
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(Entity part) throws Exception {
        try (InputStream in = ((SingleBody) part.getBody()).getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void failureReportIsAnRfc3464MultipartReportWithHeaders() throws Exception {
        Envelope base = QueueFixture.envelope("alice@example.test", "bob@example.net", "carol@example.net",
                "dave@example.org");
        Envelope envelope = new Envelope(base.sender(), List.of(
                base.recipients().get(0),
                new EnvelopeRecipient(QueueFixture.address("carol@example.net"), Set.of(EnvelopeRecipient.DsnNotify.FAILURE),
                        Optional.of(new OriginalRecipient("rfc822", "carol@example.net"))),
                base.recipients().get(2)),
                base.bodyType(), false, Optional.of(Envelope.DsnReturn.HDRS), Optional.of(new EnvelopeId("ENV42")), base.trace());
        QueueFixture.Offer bounce = bounceFor(envelope, QueueFixture.message("quarterly report")
                + "secret body line\r\n");
        assertThat(bounce.sender()).isEmpty();

        Message message = parse(bounce.content());
        assertThat(message.getMimeType()).isEqualTo("multipart/report");
        assertThat(message.getHeader().getField("Content-Type").getBody()).contains("report-type=delivery-status");
        assertThat(message.getTo().toString()).contains("alice@example.test");
        assertThat(message.getHeader().getField("Auto-Submitted").getBody()).isEqualTo("auto-replied");
        Multipart multipart = (Multipart) message.getBody();
        List<Entity> parts = multipart.getBodyParts();
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0).getMimeType()).isEqualTo("text/plain");
        assertThat(parts.get(1).getMimeType()).isEqualTo("message/delivery-status");
        assertThat(parts.get(2).getMimeType()).isEqualTo("text/rfc822-headers");

        String status = text(parts.get(1));
        String[] groups = status.replace("\r\n", "\n").strip().split("\n\n");
        assertThat(groups).hasSize(3); // per-message group + one per failed recipient (dave was delivered)
        assertThat(groups[0]).contains("Reporting-MTA: dns; mx.example.test").contains("Original-Envelope-Id: ENV42")
                .contains("Arrival-Date: ");
        assertThat(groups[1]).contains("Final-Recipient: rfc822; bob@example.net").contains("Action: failed")
                .contains("Status: 5.1.1").contains("Remote-MTA: dns; mx.example.net")
                .contains("Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: user unknown  Injected: header");
        assertThat(groups[2]).contains("Final-Recipient: rfc822; carol@example.net")
                .contains("Original-Recipient: rfc822;carol@example.net");
        assertThat(status.lines()).noneMatch(l -> l.startsWith("Injected"));

        String headers = text(parts.get(2));
        assertThat(headers).contains("Subject: quarterly report").doesNotContain("secret body line");
    }

    @Test
    void retFullReturnsTheWholeMessage() throws Exception {
        Envelope base = QueueFixture.envelope("alice@example.test", "bob@example.net");
        Envelope envelope = new Envelope(base.sender(), base.recipients(), Envelope.BodyType.SEVEN_BIT, false,
                Optional.of(Envelope.DsnReturn.FULL), Optional.empty(), base.trace());
        QueueFixture.Offer bounce = bounceFor(envelope, QueueFixture.message("full") + "the body\r\n");
        Multipart multipart = (Multipart) parse(bounce.content()).getBody();
        Entity returned = multipart.getBodyParts().get(2);
        assertThat(returned.getMimeType()).isEqualTo("message/rfc822");
        Message original = (Message) returned.getBody();
        assertThat(original.getSubject()).isEqualTo("full");
        assertThat(text((Entity) original)).contains("the body");
    }

    private static Envelope withTrace(Envelope base, Optional<String> login, boolean trustedNetwork) {
        Envelope.SessionTrace t = base.trace();
        return new Envelope(base.sender(), base.recipients(), Envelope.BodyType.SEVEN_BIT, false,
                Optional.of(Envelope.DsnReturn.FULL), Optional.empty(), new Envelope.SessionTrace(t.clientAddress(),
                t.clientName(), t.heloName(), "ESMTP", login, Optional.empty(), t.arrival(), trustedNetwork));
    }

    @Test
    void retFullFromAnUntrustedSessionReturnsHeadersOnly() throws Exception {
        // Backscatter: a client that did not log in can forge MAIL FROM; the bounce must not carry its content.
        Envelope base = QueueFixture.envelope("alice@example.test", "bob@example.net");
        QueueFixture.Offer bounce = bounceFor(withTrace(base, Optional.empty(), false),
                QueueFixture.message("spam") + "the spam payload\r\n");
        Entity returned = ((Multipart) parse(bounce.content()).getBody()).getBodyParts().get(2);
        assertThat(returned.getMimeType()).isEqualTo("text/rfc822-headers");
        assertThat(text(returned)).contains("Subject: spam");
        assertThat(bounce.content()).doesNotContain("the spam payload");
    }

    @Test
    void retFullFromATrustedNetworkReturnsTheWholeMessage() throws Exception {
        Envelope base = QueueFixture.envelope("alice@example.test", "bob@example.net");
        QueueFixture.Offer bounce = bounceFor(withTrace(base, Optional.empty(), true),
                QueueFixture.message("app") + "the app body\r\n");
        Entity returned = ((Multipart) parse(bounce.content()).getBody()).getBodyParts().get(2);
        assertThat(returned.getMimeType()).isEqualTo("message/rfc822");
        assertThat(bounce.content()).contains("the app body");
    }

    @Test
    void headersStopAtTheBlankLineAndAtTheLimit() throws Exception {
        io.postern.mail.MessageContent content = new io.postern.mail.MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream("A: 1\r\nB: 2\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
            }

            @Override
            public long size() {
                return 20;
            }
        };
        assertThat(new String(DeliveryReport.headers(content, 1000), StandardCharsets.US_ASCII))
                .isEqualTo("A: 1\r\nB: 2\r\n");
        assertThat(new String(DeliveryReport.headers(content, 9), StandardCharsets.US_ASCII)).isEqualTo("A: 1\r\n");
    }
}
