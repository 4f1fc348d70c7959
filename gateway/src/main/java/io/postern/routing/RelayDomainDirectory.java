package io.postern.routing;

import io.postern.config.Cidr;
import io.postern.config.RoutingConfig;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.Recipient;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The directory as the SMTP front end, routing and {@code postern lookup} see it when there are
 * relay domains: a relay domain is accepted like a local one, so that its recipients are checked
 * against the directory at RCPT (unknown: 550 5.1.1) and expanded as local ones are; with
 * {@code verify: none} every address of the domain is a mailbox without asking the directory, and
 * the next hop decides. {@link MailboxRouter} then sends these mailboxes on, never into a spool.
 * Everything else is the wrapped directory's answer. Immutable, thread-safe.
 */
public final class RelayDomainDirectory implements Directory {
    /** The DN a mailbox of a {@code verify: none} relay domain carries: there is no entry. */
    public static final String UNVERIFIED_DN = "";

    private final Directory directory;
    private final RoutingConfig routing;

    private RelayDomainDirectory(Directory directory, RoutingConfig routing) {
        this.directory = directory;
        this.routing = routing;
    }

    /** {@code directory} itself when there are no relay domains. */
    public static Directory wrap(Directory directory, RoutingConfig routing) {
        return routing.relayDomains().isEmpty() ? directory : new RelayDomainDirectory(directory, routing);
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return routing.relayDomain(domain).isPresent() ? Lookup.found(true) : directory.isLocalDomain(domain);
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        Optional<RoutingConfig.RelayDomain> relay = routing.relayDomain(address.domain());
        if (relay.isPresent() && relay.get().verify() == RoutingConfig.Verify.NONE) {
            return Lookup.found(new Recipient.Mailbox(address, UNVERIFIED_DN, Optional.empty(), OptionalLong.empty(),
                    false));
        }
        return directory.resolve(address);
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return directory.maySendAs(identity, sender);
    }

    @Override
    public Login authenticate(String login, String password) {
        return directory.authenticate(login, password);
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        return directory.senderRights(identity, question);
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        return directory.trustedNetworks(source);
    }

    /** The relay domains (configuration, in memory) over the wrapped directory's in-memory view. */
    @Override
    public Optional<Directory> inMemory() {
        return directory.inMemory().map(memory -> new RelayDomainDirectory(memory, routing));
    }
}
