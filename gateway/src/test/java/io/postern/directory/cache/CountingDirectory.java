package io.postern.directory.cache;

import io.postern.config.Cidr;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.Recipient;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A directory held in maps that counts every question it answers (each one is an LDAP round trip
 * for the real adapter) and can be switched "down" (every server unreachable).
 */
final class CountingDirectory implements Directory {
    final Map<String, Recipient> entries = new ConcurrentHashMap<>();
    final Map<String, String> passwords = new ConcurrentHashMap<>();
    final Map<String, String> dns = new ConcurrentHashMap<>();
    final AtomicInteger roundTrips = new AtomicInteger();
    /** DNs holding the relay permission. */
    final Set<String> relayers = ConcurrentHashMap.newKeySet();
    final Map<String, List<Cidr>> networks = new ConcurrentHashMap<>();
    volatile boolean down;

    static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    static Recipient.Mailbox mailbox(String address, String dn) {
        return new Recipient.Mailbox(address(address), dn, Optional.empty(), OptionalLong.empty(), false);
    }

    void addUser(String login, String address, String dn, String password) {
        entries.put(address, mailbox(address, dn));
        passwords.put(login, password);
        dns.put(login, dn);
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        roundTrips.incrementAndGet();
        if (down) {
            return Lookup.tempFail("all servers down");
        }
        return Lookup.found(domain.equals("example.test"));
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        roundTrips.incrementAndGet();
        if (down) {
            return Lookup.tempFail("all servers down");
        }
        return Lookup.found(entries.getOrDefault(address.key(), new Recipient.Unknown(address)));
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        roundTrips.incrementAndGet();
        if (down) {
            return Lookup.tempFail("all servers down");
        }
        return Lookup.found(identity.primaryAddress().key().equals(sender.key()));
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        roundTrips.incrementAndGet();
        if (down) {
            return Lookup.tempFail("all servers down");
        }
        return Lookup.found(new SenderRights(!question.permissionRequired() || relayers.contains(identity.dn()),
                java.util.OptionalInt.empty(), java.util.OptionalInt.empty()));
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        roundTrips.incrementAndGet();
        if (down) {
            return Lookup.tempFail("all servers down");
        }
        return Lookup.found(networks.getOrDefault(source.dn(), List.of()));
    }

    @Override
    public Login authenticate(String login, String password) {
        roundTrips.incrementAndGet();
        if (password.isEmpty()) {
            return new Login.Failed(Login.Reason.EMPTY_PASSWORD);
        }
        if (down) {
            return new Login.TempFail("all servers down");
        }
        String expected = passwords.get(login);
        if (expected == null) {
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
        if (!expected.equals(password)) {
            return new Login.Failed(Login.Reason.WRONG_PASSWORD);
        }
        return new Login.Succeeded(new Login.Identity(login, dns.get(login), address(login + "@example.test")));
    }
}
