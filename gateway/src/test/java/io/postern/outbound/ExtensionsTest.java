package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnhancedStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExtensionsTest {

    @Test
    void parsesKeywordsSizeAndAuth() {
        Extensions ext = Extensions.parse(new SmtpReply(250, List.of("mx.example.net", "PIPELINING", "SIZE 10240000",
                "auth PLAIN LOGIN", "AUTH=LOGIN", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES")));
        assertThat(ext.has("PIPELINING")).isTrue();
        assertThat(ext.has("8BITMIME")).isTrue();
        assertThat(ext.has("MX.EXAMPLE.NET")).isFalse();
        assertThat(ext.maxSize()).isEqualTo(10_240_000L);
        assertThat(ext.authMechanisms()).containsExactlyInAnyOrder("PLAIN", "LOGIN");
    }

    @Test
    void sizeWithoutLimitOrGarbageMeansNoLimit() {
        assertThat(Extensions.parse(new SmtpReply(250, List.of("x", "SIZE"))).maxSize()).isZero();
        assertThat(Extensions.parse(new SmtpReply(250, List.of("x", "SIZE lots"))).maxSize()).isZero();
    }

    @Test
    void enhancedCodeMustMatchTheReplyClass() {
        assertThat(new SmtpReply(550, List.of("5.7.1 relay denied")).enhancedCode()).contains(EnhancedStatus.of("5.7.1"));
        assertThat(new SmtpReply(550, List.of("4.7.1 odd")).enhancedCode()).isEmpty();
        assertThat(new SmtpReply(550, List.of("relay denied")).enhancedCode()).isEmpty();
        assertThat(new SmtpReply(250, List.of("2.1.5")).enhancedCode()).contains(EnhancedStatus.of("2.1.5"));
    }
}
