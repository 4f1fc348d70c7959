package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.RecipientOutcome;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReplyMappingTest {
    private static final EnvelopeRecipient BOB = EnvelopeRecipient.of(new MailAddress("bob", "example.net"));
    private static final String MTA = "mx1.example.net[192.0.2.1]:25";

    @Test
    void positiveReplyIsDeliveredWithRemoteMta() {
        DeliveryResult r = ReplyMapping.result(BOB, new SmtpReply(250, List.of("2.0.0 Ok: queued as 4ABC")), MTA);
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(r.status()).hasToString("2.0.0");
        assertThat(r.diagnostic()).isEqualTo("250 2.0.0 Ok: queued as 4ABC");
        assertThat(r.remoteMta()).contains(MTA);
    }

    @Test
    void transientReplyIsDeferredWithItsEnhancedCode() {
        DeliveryResult r = ReplyMapping.result(BOB, new SmtpReply(452, List.of("4.2.2 Mailbox full")), MTA);
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(r.status()).hasToString("4.2.2");
        assertThat(r.diagnostic()).isEqualTo("452 4.2.2 Mailbox full");
    }

    @Test
    void permanentReplyFailsWithTheRemoteTextOnOneLine() {
        DeliveryResult r = ReplyMapping.result(BOB,
                new SmtpReply(550, List.of("5.1.1 <bob@example.net>: Recipient address rejected", "User unknown")), MTA);
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(r.status()).hasToString("5.1.1");
        assertThat(r.diagnostic()).isEqualTo("550 5.1.1 <bob@example.net>: Recipient address rejected User unknown");
        assertThat(r.remoteMta()).contains(MTA);
    }

    @Test
    void missingOrMismatchedEnhancedCodeFallsBackToTheClass() {
        assertThat(ReplyMapping.result(BOB, new SmtpReply(554, List.of("no thanks")), MTA).status()).hasToString("5.0.0");
        assertThat(ReplyMapping.result(BOB, new SmtpReply(451, List.of("5.7.1 confused server")), MTA).status())
                .hasToString("4.0.0");
        assertThat(ReplyMapping.result(BOB, new SmtpReply(421, List.of()), MTA).outcome())
                .isInstanceOf(RecipientOutcome.Deferred.class);
    }

    @Test
    void localFailuresFollowTheCodeClass() {
        assertThat(ReplyMapping.local(BOB, EnhancedStatus.NULL_MX, "null MX", Optional.empty()).outcome())
                .isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(ReplyMapping.local(BOB, EnhancedStatus.DIRECTORY_UNAVAILABLE, "dns down", Optional.empty()).outcome())
                .isInstanceOf(RecipientOutcome.Deferred.class);
    }
}
