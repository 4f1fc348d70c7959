package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeId;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.mail.OriginalRecipient;
import io.postern.mail.QueuedMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MailTransactionTest {
    private static final EnvelopeRecipient BOB = EnvelopeRecipient.of(new MailAddress("bob", "example.net"));
    private static final Extensions ALL = Extensions.parse(new SmtpReply(250, List.of("mx", "PIPELINING", "SIZE 1000",
            "8BITMIME", "SMTPUTF8", "DSN")));
    private static final Extensions BARE = Extensions.none();

    static QueuedMessage message(String content, Envelope.BodyType body, boolean utf8, Optional<MailAddress> sender) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        MessageContent stored = new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            @Override
            public long size() {
                return bytes.length;
            }
        };
        Envelope envelope = new Envelope(sender, List.of(BOB), body, utf8, Optional.of(Envelope.DsnReturn.HDRS),
                Optional.of(new EnvelopeId("id+1=x")), new Envelope.SessionTrace("192.0.2.9", "client.example", "client.example",
                "ESMTP", Optional.empty(), Optional.empty(), Instant.EPOCH));
        return new QueuedMessage("Q1", envelope, stored);
    }

    @Test
    void mailCommandCarriesOnlyWhatTheServerOffers() {
        QueuedMessage m = message("Subject: x\r\n\r\nhi\r\n", Envelope.BodyType.EIGHT_BIT_MIME, true,
                Optional.of(new MailAddress("alice", "example.com")));
        assertThat(MailTransaction.mailCommand(m, ALL))
                .isEqualTo("MAIL FROM:<alice@example.com> SIZE=18 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+3Dx");
        assertThat(MailTransaction.mailCommand(m, BARE)).isEqualTo("MAIL FROM:<alice@example.com>");
        assertThat(MailTransaction.mailCommand(message("x\r\n", Envelope.BodyType.SEVEN_BIT, false, Optional.empty()), BARE))
                .isEqualTo("MAIL FROM:<>");
    }

    @Test
    void rcptCommandCarriesDsnParameters() {
        EnvelopeRecipient r = new EnvelopeRecipient(new MailAddress("bob", "example.net"),
                Set.of(EnvelopeRecipient.DsnNotify.FAILURE, EnvelopeRecipient.DsnNotify.DELAY),
                Optional.of(new OriginalRecipient("rfc822", "bob+x=y z@example.net")));
        assertThat(MailTransaction.rcptCommand(r, ALL, false))
                .isEqualTo("RCPT TO:<bob@example.net> NOTIFY=DELAY,FAILURE ORCPT=rfc822;bob+2Bx+3Dy+20z@example.net");
        assertThat(MailTransaction.rcptCommand(r, BARE, false)).isEqualTo("RCPT TO:<bob@example.net>");
    }

    @Test
    void utf8OriginalRecipientIsUnitextOnlyWhenTheTransactionUsesSmtpUtf8() {
        EnvelopeRecipient r = new EnvelopeRecipient(new MailAddress("jos\u00e9", "example.net"), Set.of(),
                Optional.of(OriginalRecipient.of(new MailAddress("jos\u00e9+x", "example.net"))));
        assertThat(MailTransaction.rcptCommand(r, ALL, true))
                .isEqualTo("RCPT TO:<jos\u00e9@example.net> ORCPT=utf-8;jos\u00e9\\x{2B}x@example.net");
        assertThat(MailTransaction.rcptCommand(r, ALL, false))
                .isEqualTo("RCPT TO:<jos\u00e9@example.net> ORCPT=utf-8;jos\\x{E9}\\x{2B}x@example.net");
    }

    @Test
    void eightBitContentToA7BitServerFailsWith563() {
        QueuedMessage eight = message("Subject: caf\u00e9\r\n\r\n\u00e9\r\n", Envelope.BodyType.EIGHT_BIT_MIME, false,
                Optional.empty());
        assertThat(MailTransaction.precheck(eight, List.of(BOB), BARE, "mx")).hasValueSatisfying(
                s -> assertThat(s.status()).hasToString("5.6.3"));
        assertThat(MailTransaction.precheck(eight, List.of(BOB), ALL, "mx")).isEmpty();
        QueuedMessage declaredButSeven = message("Subject: x\r\n\r\nplain\r\n", Envelope.BodyType.EIGHT_BIT_MIME, false,
                Optional.empty());
        assertThat(MailTransaction.precheck(declaredButSeven, List.of(BOB), BARE, "mx")).isEmpty();
    }

    @Test
    void messageOverTheServersSizeLimitFailsWith534() {
        QueuedMessage big = message("x".repeat(1001), Envelope.BodyType.SEVEN_BIT, false, Optional.empty());
        assertThat(MailTransaction.precheck(big, List.of(BOB), ALL, "mx")).hasValueSatisfying(
                s -> {
                    assertThat(s.status()).hasToString("5.3.4");
                    assertThat(s.text()).contains("1001");
                });
    }

    @Test
    void internationalAddressNeedsSmtpUtf8() {
        EnvelopeRecipient jose = EnvelopeRecipient.of(new MailAddress("jos\u00e9", "example.net"));
        QueuedMessage m = message("x\r\n", Envelope.BodyType.SEVEN_BIT, true, Optional.empty());
        assertThat(MailTransaction.precheck(m, List.of(jose), BARE, "mx")).hasValueSatisfying(
                s -> assertThat(s.status()).hasToString("5.6.7"));
        assertThat(MailTransaction.precheck(m, List.of(jose), ALL, "mx")).isEmpty();
    }

}
