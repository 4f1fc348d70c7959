package io.postern.smtp.inbound.policy;

import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.mail.MailAddress;
import io.postern.smtp.SmtpReply;
import java.util.Optional;

/**
 * Submission rule: MAIL FROM must be an address the authenticated user may send as (their own,
 * an alias, a group that allows them), else 553 5.7.1; the null sender is not theirs either.
 * May block on the directory. Immutable, thread-safe.
 */
public record SenderPolicy(Directory directory) {

    public SmtpReply decide(Login.Identity identity, Optional<MailAddress> sender) {
        if (sender.isEmpty()) {
            return SmtpReply.SENDER_NOT_OWNED;
        }
        if (sender.get().key().equals(identity.primaryAddress().key())) {
            return SmtpReply.SENDER_OK;
        }
        return switch (directory.maySendAs(identity, sender.get())) {
            case Lookup.TempFail<Boolean> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<Boolean>(Boolean allowed) -> allowed ? SmtpReply.SENDER_OK : SmtpReply.SENDER_NOT_OWNED;
        };
    }
}
