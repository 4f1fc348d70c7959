package io.postern.smtp.inbound.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeId;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.OriginalRecipient;
import io.postern.smtp.reply.SmtpReply;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvelopeParametersTest {

    @Test
    void mailParameters() {
        assertThat(EnvelopeParameters.mail(Map.of("SIZE", "12", "BODY", "8bitmime", "RET", "FULL", "ENVID", "a+2Bb",
                "SMTPUTF8", "", "AUTH", "alice+40example.test"))).isEqualTo(new EnvelopeParameters.Result.Ok<>(
                new EnvelopeParameters.Mail(OptionalLong.of(12), Envelope.BodyType.EIGHT_BIT_MIME, true,
                        Optional.of(Envelope.DsnReturn.FULL), Optional.of(new EnvelopeId("a+b")),
                        Optional.of(new EnvelopeParameters.Submitter(Optional.of(new MailAddress("alice", "example.test")))))));
        assertThat(EnvelopeParameters.mail(Map.of("AUTH", "<>"))).isEqualTo(new EnvelopeParameters.Result.Ok<>(
                new EnvelopeParameters.Mail(OptionalLong.empty(), Envelope.BodyType.SEVEN_BIT, false, Optional.empty(),
                        Optional.empty(), Optional.of(new EnvelopeParameters.Submitter(Optional.empty())))));
    }

    @Test
    void theFrontsHandoffKeyIsParsedAndAnythingElseInItRefused() {
        assertThat(EnvelopeParameters.mail(Map.of("XPOSTERN-KEY", "0123ABCD:1764780000:R:front-0.x")))
                .isEqualTo(new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Mail(OptionalLong.empty(),
                        Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.of(new io.postern.mail.HandoffKey("0123ABCD", java.time.Instant.ofEpochSecond(1764780000L),
                                true, "front-0.x")))));
        for (String bad : List.of("", "0123:1:X:f", "01/23:1:F:f", "0123:1:F:../x", "0123:1:F:", "0123:-1:F:f")) {
            assertThat(EnvelopeParameters.mail(Map.of("XPOSTERN-KEY", bad))).as(bad)
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        }
    }

    @Test
    void badMailParameters() {
        assertThat(EnvelopeParameters.mail(Map.of("XFOO", "1"))).isEqualTo(
                new EnvelopeParameters.Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER));
        for (Map<String, String> bad : List.of(Map.of("SIZE", "x"), Map.of("BODY", "BINARYMIME"),
                Map.of("RET", "ALL"), Map.of("ENVID", ""), Map.of("ENVID", "a b"), Map.of("SMTPUTF8", "yes"),
                Map.of("ENVID", "x".repeat(101)), Map.of("ENVID", "caf+C3+A9"), Map.of("AUTH", "not-an-address"),
                Map.of("ENVID", "a+2b"))) {
            assertThat(EnvelopeParameters.mail(bad)).as(bad.toString())
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        }
    }

    @Test
    void controlCharactersInAnyDecodedValueGet501WithTheirOwnText() {
        for (Map<String, String> bad : List.of(Map.of("ENVID", "id+0D+0ARSET"), Map.of("ENVID", "id+00"),
                Map.of("ENVID", "a+09b"), Map.of("ENVID", "a+7Fb"), Map.of("AUTH", "a+0D+0A@example.test"))) {
            assertThat(EnvelopeParameters.mail(bad)).as(bad.toString())
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.PARAMETER_CONTROL_CHARACTERS));
        }
        for (String orcpt : List.of("rfc822;bob+0D+0ARSET@example.net", "rfc822;+0A", "rfc822;a+00",
                "utf-8;bob\\x{0A}RSET@example.net", "utf-8;a\\x{85}b", "x400;a+1Bb")) {
            assertThat(EnvelopeParameters.rcpt(Map.of("ORCPT", orcpt))).as(orcpt)
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.PARAMETER_CONTROL_CHARACTERS));
        }
        assertThat(SmtpReply.PARAMETER_CONTROL_CHARACTERS.line()).startsWith("501 5.5.4 ");
    }

    @Test
    void rcptParameters() {
        assertThat(EnvelopeParameters.rcpt(Map.of("NOTIFY", "success,delay", "ORCPT", "rfc822;u+2B1@x.yz")))
                .isEqualTo(new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Rcpt(
                        Set.of(EnvelopeRecipient.DsnNotify.SUCCESS, EnvelopeRecipient.DsnNotify.DELAY),
                        Optional.of(new OriginalRecipient("rfc822", "u+1@x.yz")))));
        assertThat(EnvelopeParameters.rcpt(Map.of("ORCPT", "UTF-8;jos\\x{E9}@example.net"))).isEqualTo(
                new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Rcpt(Set.of(),
                        Optional.of(new OriginalRecipient("utf-8", "jos\u00e9@example.net")))));
        assertThat(EnvelopeParameters.rcpt(Map.of("ORCPT", "utf-8;jos\u00e9@example.net"))).isEqualTo(
                new EnvelopeParameters.Result.Ok<>(new EnvelopeParameters.Rcpt(Set.of(),
                        Optional.of(new OriginalRecipient("utf-8", "jos\u00e9@example.net")))));
        for (String bad : List.of("noseparator", ";a@b", "rfc822;", "rfc822;caf+C3+A9@x", "utf-8;a+2Bb",
                "utf-8;a\\x{0041}", "utf-8;a\\x{D800}", "bad type;a", "rfc822;" + "a".repeat(501))) {
            assertThat(EnvelopeParameters.rcpt(Map.of("ORCPT", bad))).as(bad)
                    .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        }
        assertThat(EnvelopeParameters.rcpt(Map.of("NOTIFY", "NEVER,SUCCESS")))
                .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.SYNTAX));
        assertThat(EnvelopeParameters.rcpt(Map.of("FOO", "1")))
                .isEqualTo(new EnvelopeParameters.Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER));
    }
}
