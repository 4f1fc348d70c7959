package io.postern.mail;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MailAddressTest {
    @Test
    void parsesAndFoldsTheDomain() {
        MailAddress address = MailAddress.parse("Alice.Smith@Example.TEST").orElseThrow();
        assertThat(address.localPart()).isEqualTo("Alice.Smith");
        assertThat(address.domain()).isEqualTo("example.test");
        assertThat(address.key()).isEqualTo("alice.smith@example.test");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user+tag@example.test", "\"john doe\"@example.test", "o'brien@example.test",
        "üser@exämple.test"})
    void acceptsValidForms(String text) {
        assertThat(MailAddress.parse(text)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "@example.test", "user@", "user", "u%other.org@example.test",
        "other.org!u@example.test", "@example.test:u@other.org", "\"u@other.org\"@example.test",
        "u@[127.0.0.1]", "u@example.test.", "u@localhost", ".u@example.test", "u..v@example.test",
        "u v@example.test", "u\u0000@example.test", "u(x)@example.test", "u\\@example.test", "u@-x.test",
        "u@x_y.test"})
    void refusesRelayTricksAndGarbage(String text) {
        assertThat(MailAddress.parse(text)).isEmpty();
    }

    @Test
    void enforcesLengthLimits() {
        assertThat(MailAddress.parse("a".repeat(64) + "@example.test")).isPresent();
        assertThat(MailAddress.parse("a".repeat(65) + "@example.test")).isEmpty();
        assertThat(MailAddress.parse("u@" + "a".repeat(64) + ".test")).isEmpty();
        assertThat(MailAddress.parse("u@" + ("a".repeat(60) + ".").repeat(5) + "test")).isEmpty();
    }
}
