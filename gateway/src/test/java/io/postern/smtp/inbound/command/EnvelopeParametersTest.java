package io.postern.smtp.inbound.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.smtp.SmtpReply;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnvelopeParametersTest {

    @Test
    void mailParameters() {
        assertThat(EnvelopeParameters.mail(Map.of("SIZE", "12", "BODY", "8bitmime", "RET", "FULL", "ENVID", "a+2Bb",
                "SMTPUTF8", ""))).isEqualTo(new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Mail(
                java.util.OptionalLong.of(12), Envelope.BodyType.EIGHT_BIT_MIME, true,
                Optional.of(Envelope.DsnReturn.FULL), Optional.of("a+b"))));
    }

    @Test
    void badMailParameters() {
        assertThat(EnvelopeParameters.mail(Map.of("XFOO", "1"))).isEqualTo(
                new EnvelopeParameters.Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER));
        for (Map<String, String> bad : java.util.List.of(Map.of("SIZE", "x"), Map.of("BODY", "BINARYMIME"),
                Map.of("RET", "ALL"), Map.of("ENVID", ""), Map.of("ENVID", "a b"), Map.of("SMTPUTF8", "yes"))) {
            assertThat(EnvelopeParameters.mail(bad)).as(bad.toString())
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        }
    }

    @Test
    void rcptParameters() {
        assertThat(EnvelopeParameters.rcpt(Map.of("NOTIFY", "success,delay", "ORCPT", "rfc822;u+2B1@x.yz")))
                .isEqualTo(new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Rcpt(
                        java.util.Set.of(EnvelopeRecipient.DsnNotify.SUCCESS, EnvelopeRecipient.DsnNotify.DELAY),
                        Optional.of("rfc822;u+1@x.yz"))));
        assertThat(EnvelopeParameters.rcpt(Map.of("NOTIFY", "NEVER,SUCCESS")))
                .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        assertThat(EnvelopeParameters.rcpt(Map.of("ORCPT", "noseparator")))
                .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        assertThat(EnvelopeParameters.rcpt(Map.of("FOO", "1")))
                .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER));
    }
}
