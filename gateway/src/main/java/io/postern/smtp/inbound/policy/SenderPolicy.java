package io.postern.smtp.inbound.policy;

import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.util.Optional;
import java.util.Set;

/**
 * Who may use which MAIL FROM. An authenticated session, on any listener (submission and MX
 * alike), may use only an address the user may send as (their own, an alias, a group that
 * allows them), else 553 5.7.1; the null sender is not theirs either. Optionally
 * ({@code smtp.rejectUnauthenticatedLocalSender}) an unauthenticated client outside the trusted
 * networks may not use an address in a local domain (553 5.7.1). May block on the directory.
 * Immutable, thread-safe.
 */
public record SenderPolicy(Directory directory, Set<String> localDomains) {

    public SenderPolicy {
        localDomains = Set.copyOf(localDomains);
    }

    /** This policy over the directory's in-memory view: never blocks, throws {@link io.postern.directory.NotInMemory} instead. */
    public Optional<SenderPolicy> inMemory() {
        return directory.inMemory().map(memory -> new SenderPolicy(memory, localDomains));
    }

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

    /** For a client that did not log in and is not trusted: a local-domain sender is refused. */
    public SmtpReply decideUnauthenticated(MailAddress sender) {
        Lookup<Boolean> local = localDomains.contains(sender.domain())
                ? Lookup.found(true) : directory.isLocalDomain(sender.domain());
        return switch (local) {
            case Lookup.TempFail<Boolean> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<Boolean>(Boolean isLocal) -> isLocal ? SmtpReply.SENDER_NOT_LOGGED_IN : SmtpReply.SENDER_OK;
        };
    }
}
