package io.postern.smtp.inbound.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnhancedStatus;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RejectReasonTest {

    private static RejectReason of(String line) {
        ReplyLine reply = ReplyLine.of(line);
        return RejectReason.of(reply.code(), EnhancedStatus.parse(reply.enhanced()));
    }

    @Test
    void everyCatalogueErrorHasAReasonAndNoneIsADeliveryFailure() {
        Map<SmtpReply, RejectReason> reasons = new EnumMap<>(SmtpReply.class);
        for (SmtpReply reply : SmtpReply.values()) {
            if (reply.isError()) {
                reasons.put(reply, of(reply.line("4.3.1", "x")));
            }
        }
        assertThat(reasons).doesNotContainValue(RejectReason.DELIVERY_FAILED)
                .containsEntry(SmtpReply.UNKNOWN_USER, RejectReason.UNKNOWN_USER)
                .containsEntry(SmtpReply.DISABLED_MAILBOX, RejectReason.DISABLED)
                .containsEntry(SmtpReply.RELAY_DENIED, RejectReason.RELAY_DENIED)
                .containsEntry(SmtpReply.GROUP_RESTRICTED, RejectReason.POLICY)
                .containsEntry(SmtpReply.SENDER_NOT_OWNED, RejectReason.POLICY)
                .containsEntry(SmtpReply.MESSAGE_TOO_BIG, RejectReason.SIZE)
                .containsEntry(SmtpReply.TOO_MANY_RECIPIENTS, RejectReason.RECIPIENTS_LIMIT)
                .containsEntry(SmtpReply.DIRECTORY_TEMP_FAIL, RejectReason.TEMPFAIL)
                .containsEntry(SmtpReply.STORAGE_TEMP_FAIL, RejectReason.TEMPFAIL)
                .containsEntry(SmtpReply.BARE_LINE_ENDING, RejectReason.CONTENT)
                .containsEntry(SmtpReply.MAIL_LOOP, RejectReason.LOOP)
                .containsEntry(SmtpReply.AUTH_FAILED, RejectReason.AUTH)
                .containsEntry(SmtpReply.BAD_RECIPIENT_SYNTAX, RejectReason.PROTOCOL)
                .containsEntry(SmtpReply.LINE_TOO_LONG, RejectReason.PROTOCOL);
    }

    private static String custom(int code, String status, String text) {
        return new Reply(code, Optional.of(EnhancedStatus.of(status)), text).line();
    }

    @Test
    void lmtpOutcomesAreClassifiedByTheirStatusCodes() {
        assertThat(of(custom(452, "4.2.2", "<b@example.com> mailbox full"))).isEqualTo(RejectReason.QUOTA);
        assertThat(of(custom(552, "5.2.2", "<b@example.com> quota"))).isEqualTo(RejectReason.QUOTA);
        assertThat(of(custom(550, "5.2.0", "<b@example.com> spool broken")))
                .isEqualTo(RejectReason.DELIVERY_FAILED);
        assertThat(of(custom(451, "4.3.0", "<b@example.com> later"))).isEqualTo(RejectReason.TEMPFAIL);
        assertThat(of("garbage")).isEqualTo(RejectReason.PROTOCOL);
        assertThat(ReplyLine.of("garbage").tag()).isEqualTo("other");
        assertThat(ReplyLine.of("250-mx.test greets x\r\n250 DSN\r\n").tag()).isEqualTo("250");
    }
}
