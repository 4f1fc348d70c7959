package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import org.junit.jupiter.api.Test;

/** Replies with a variable part stay one line whatever that part holds. */
class SmtpReplyTest {
    @Test
    void aLoginHoldingALineBreakDoesNotSplitTheReply() {
        // A SASL PLAIN identity is base64 on the wire: it may decode to CR LF.
        String line = SmtpReply.SENDER_NOT_OWNED.line("alice\r\n250 2.0.0 Sender ok");

        assertThat(line).isEqualTo("553 5.7.1 Sender address rejected: not owned by user alice  250 2.0.0 Sender ok\r\n");
        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    }

    @Test
    void everyControlCharacterInAVariablePartBecomesASpace() {
        String line = SmtpReply.EHLO_FIRST.continuation("mx.example", "a\u0000b\u0085c\u2028d\u007fe");

        assertThat(line).isEqualTo("250-mx.example greets a b c d e\r\n");
    }

    @Test
    void numbersKeepTheirFormat() {
        assertThat(SmtpReply.CHUNK_OK.line(4096L)).isEqualTo("250 2.0.0 4096 octets received\r\n");
    }

    @Test
    void aRecipientOutcomeReplyIsOneLineToo() {
        Reply reply = Reply.of(RecipientOutcome.failed(EnhancedStatus.of("5.1.1"), "no\r\nsuch\u0000user"), "a@b.test");
        assertThat(reply.line()).isEqualTo("550 5.1.1 <a@b.test> no  such user\r\n");
    }
}
