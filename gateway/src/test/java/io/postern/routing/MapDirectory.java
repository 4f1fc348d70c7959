package io.postern.routing;

import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A directory held in maps, for tests; {@code user+tag} resolves to {@code user} like the real one. */
public final class MapDirectory implements Directory {
    final Set<String> domains = new HashSet<>();
    final Map<String, Recipient> entries = new ConcurrentHashMap<>();
    volatile boolean down;

    public MapDirectory(String... localDomains) {
        domains.addAll(Set.of(localDomains));
    }

    public static MailAddress addr(String text) {
        return MailAddress.parse(text).orElseThrow(() -> new IllegalArgumentException(text));
    }

    public static Recipient.Mailbox mailbox(String address) {
        return new Recipient.Mailbox(addr(address), "uid=" + address, Optional.empty(), OptionalLong.empty(), false);
    }

    public MapDirectory put(Recipient recipient) {
        MailAddress address = switch (recipient) {
            case Recipient.Mailbox m -> m.address();
            case Recipient.Alias a -> a.address();
            case Recipient.Group g -> g.address();
            case Recipient.Forward f -> f.mailbox().address();
            case Recipient.Unknown u -> u.address();
        };
        entries.put(address.key(), recipient);
        return this;
    }

    public MapDirectory mailboxes(String... addresses) {
        for (String a : addresses) {
            put(mailbox(a));
        }
        return this;
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return down ? Lookup.tempFail("down") : Lookup.found(domains.contains(domain));
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        if (down) {
            return Lookup.tempFail("down");
        }
        String local = address.localPart();
        int plus = local.indexOf('+');
        MailAddress base = plus > 0 ? new MailAddress(local.substring(0, plus), address.domain()) : address;
        Recipient found = entries.get(base.key());
        return Lookup.found(found == null ? new Recipient.Unknown(address) : found);
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return Lookup.found(true);
    }

    @Override
    public Login authenticate(String login, String password) {
        return new Login.Failed(Login.Reason.UNKNOWN_USER);
    }
}
