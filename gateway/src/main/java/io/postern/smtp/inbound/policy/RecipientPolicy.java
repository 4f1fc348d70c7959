package io.postern.smtp.inbound.policy;

import io.postern.config.RelayConfig;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides one RCPT: a local address must exist in the directory and be enabled; a non-local
 * address is relayed only for a trusted network (file or directory) or an authenticated session
 * (closed by default; never on LMTP), and, when {@code relay.permission} is set, only for a
 * user who holds the permission (else 550 5.7.1: internal recipients only). A directory that
 * cannot answer gives 451 4.4.3, never a 5xx. May block on the directory: call it off the event
 * loop. Immutable, thread-safe.
 */
public record RecipientPolicy(Directory directory, Set<String> localDomains, RelayConfig relay, boolean relayAllowed) {

    public RecipientPolicy {
        localDomains = Set.copyOf(localDomains);
    }

    /** Who is asking: used for relay and group-sender decisions. */
    public record Client(InetAddress address, Optional<Login.Identity> identity, Optional<MailAddress> sender) {
        public boolean authenticated() {
            return identity.isPresent();
        }
    }

    /**
     * This policy over the directory's in-memory view ({@link Directory#inMemory()}): its
     * {@link #decide} never blocks and throws {@link io.postern.directory.NotInMemory} when an
     * answer is not in memory (then decide with this policy, off the loop). Empty when the
     * directory keeps nothing in memory.
     */
    public Optional<RecipientPolicy> inMemory() {
        return directory.inMemory().map(memory -> new RecipientPolicy(memory, localDomains, relay, relayAllowed));
    }

    public SmtpReply decide(MailAddress recipient, Client client) {
        Lookup<Boolean> local = localDomains.contains(recipient.domain())
                ? Lookup.found(true) : directory.isLocalDomain(recipient.domain());
        return switch (local) {
            case Lookup.TempFail<Boolean> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<Boolean>(Boolean isLocal) when isLocal -> resolve(recipient, client);
            case Lookup.Found<Boolean> f -> relay(client);
        };
    }

    /**
     * A non-local recipient: trusted networks relay (the file's first, then the directory's);
     * an authenticated user relays when no permission is configured or they hold it.
     */
    SmtpReply relay(Client client) {
        if (!relayAllowed) {
            return SmtpReply.RELAY_DENIED;
        }
        Lookup<Boolean> trusted = new TrustedNetworks(relay, directory).trusts(client.address());
        if (trusted instanceof Lookup.Found<Boolean>(Boolean yes) && yes) {
            return SmtpReply.RECIPIENT_OK;
        }
        boolean trustUnknown = trusted instanceof Lookup.TempFail<Boolean>;
        if (client.identity().isEmpty()) {
            return trustUnknown ? SmtpReply.DIRECTORY_TEMP_FAIL : SmtpReply.RELAY_DENIED;
        }
        SenderRightsQuestion question = RelayQuestions.rights(relay);
        if (!question.permissionRequired()) {
            return SmtpReply.RECIPIENT_OK;
        }
        return switch (directory.senderRights(client.identity().get(), question)) {
            case Lookup.TempFail<SenderRights> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<SenderRights>(SenderRights rights) -> rights.mayRelay() ? SmtpReply.RECIPIENT_OK
                    : trustUnknown ? SmtpReply.DIRECTORY_TEMP_FAIL : SmtpReply.RELAY_NOT_PERMITTED;
        };
    }

    private SmtpReply resolve(MailAddress recipient, Client client) {
        return switch (directory.resolve(recipient)) {
            case Lookup.TempFail<Recipient> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<Recipient>(Recipient found) -> switch (found) {
                case Recipient.Unknown u -> SmtpReply.UNKNOWN_USER;
                case Recipient.Mailbox m -> m.disabled() ? SmtpReply.DISABLED_MAILBOX : SmtpReply.RECIPIENT_OK;
                case Recipient.Forward f -> SmtpReply.RECIPIENT_OK;
                case Recipient.Alias a -> SmtpReply.RECIPIENT_OK;
                case Recipient.Group g -> groupAllows(g.allowedSenders(), client)
                        ? SmtpReply.RECIPIENT_OK : SmtpReply.GROUP_RESTRICTED;
            };
        };
    }

    private static boolean groupAllows(List<MailAddress> allowed, Client client) {
        if (allowed.isEmpty()) {
            return true;
        }
        // Only an authenticated session's sender is believed: SenderPolicy checked at MAIL that the
        // identity owns it, on every listener. Without AUTH anyone can write any MAIL FROM.
        return client.authenticated() && client.sender()
                .map(s -> allowed.stream().anyMatch(a -> a.key().equals(s.key()))).orElse(false);
    }
}
