package io.postern.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EnhancedStatusTest {

    @Test
    void parsesAndPrintsACode() {
        EnhancedStatus status = EnhancedStatus.of("4.4.3");
        assertThat(status.isTransient()).isTrue();
        assertThat(status).hasToString("4.4.3");
        assertThat(status.withClass(5)).hasToString("5.4.3");
    }

    @Test
    void untrustedTextThatIsNotACodeIsEmpty() {
        assertThat(EnhancedStatus.parse("3.1.1")).isEmpty();
        assertThat(EnhancedStatus.parse("5.1.1 user unknown")).isEmpty();
        assertThat(EnhancedStatus.parse("5.1.1000")).isEmpty();
        assertThat(EnhancedStatus.parse(null)).isEmpty();
    }

    @Test
    void anOutcomeRefusesACodeOfTheWrongClass() {
        assertThatThrownBy(() -> RecipientOutcome.deferred(EnhancedStatus.of("5.1.1"), "unknown"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecipientOutcome.Failed(450, EnhancedStatus.of("5.1.1"), "unknown"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(RecipientOutcome.failed(EnhancedStatus.of("5.1.1"), "unknown").replyCode()).isEqualTo(550);
    }
}
