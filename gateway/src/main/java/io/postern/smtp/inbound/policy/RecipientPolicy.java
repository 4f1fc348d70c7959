package io.postern.smtp.inbound.policy;

import io.postern.config.RelayConfig;
import io.postern.directory.Directory;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides one RCPT: a local address must exist in the directory and be enabled; a non-local
 * address is relayed only for an authenticated session or a trusted network (closed by default;
 * never on LMTP). A directory that cannot answer gives 451 4.4.3, never a 5xx. May block on the
 * directory: call it off the event loop. Immutable, thread-safe.
 */
public record RecipientPolicy(Directory directory, Set<String> localDomains, RelayConfig relay, boolean relayAllowed) {

    public RecipientPolicy {
        localDomains = Set.copyOf(localDomains);
    }

    /** Who is asking: used for relay and group-sender decisions. */
    public record Client(InetAddress address, boolean authenticated, Optional<MailAddress> sender) {
    }

    public SmtpReply decide(MailAddress recipient, Client client) {
        Lookup<Boolean> local = localDomains.contains(recipient.domain())
                ? Lookup.found(true) : directory.isLocalDomain(recipient.domain());
        return switch (local) {
            case Lookup.TempFail<Boolean> t -> SmtpReply.DIRECTORY_TEMP_FAIL;
            case Lookup.Found<Boolean>(Boolean isLocal) when isLocal -> resolve(recipient, client);
            case Lookup.Found<Boolean> f -> mayRelay(client) ? SmtpReply.RECIPIENT_OK : SmtpReply.RELAY_DENIED;
        };
    }

    /** Authenticated sessions and trusted networks may relay (never over LMTP). */
    public boolean mayRelay(Client client) {
        if (!relayAllowed) {
            return false;
        }
        return client.authenticated() || relay.trusts(client.address());
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
