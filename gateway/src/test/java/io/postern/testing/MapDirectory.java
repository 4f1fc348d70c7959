package io.postern.testing;

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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one map-backed {@link Directory} of the unit and integration tests: local domains,
 * recipients, logins (several names per user), send-as grants, addresses that fail temporarily,
 * and an outage switch. Like the LDAP directory, {@code user+tag} resolves to {@code user}
 * unless {@link #withoutSubaddressing()}. Thread-safe; set it up before use or while in use.
 */
public final class MapDirectory implements Directory {
    private record Account(String password, String dn, MailAddress address, boolean disabled) {
    }

    private final Set<String> domains = ConcurrentHashMap.newKeySet();
    private final Map<String, Recipient> recipients = new ConcurrentHashMap<>();
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> sendAs = new ConcurrentHashMap<>();
    private final Set<String> tempFail = ConcurrentHashMap.newKeySet();
    private final Set<String> relayers = ConcurrentHashMap.newKeySet();
    private final Map<String, SenderRights> limits = new ConcurrentHashMap<>();
    private final Map<String, List<Cidr>> networks = new ConcurrentHashMap<>();
    private volatile boolean down;
    private volatile CountDownLatch loginGate = new CountDownLatch(0);
    private volatile boolean broken;
    private volatile boolean subaddressing = true;

    public MapDirectory(String... localDomains) {
        for (String domain : localDomains) {
            domain(domain);
        }
    }

    /**
     * example.com: alice (login alice, password secret, may send as info@), bob, a disabled
     * mailbox, jörg, postmaster; info@ (alias of alice), staff@ (group), board@ (only alice may
     * send to it); flaky@ fails temporarily. No subaddressing.
     */
    public static MapDirectory fixture() {
        MapDirectory d = new MapDirectory("example.com").withoutSubaddressing();
        d.mailbox("alice@example.com", false);
        d.mailbox("bob@example.com", false);
        d.mailbox("disabled@example.com", true);
        d.mailbox("jörg@example.com", false);
        d.mailbox("postmaster@example.com", false);
        d.put(new Recipient.Alias(addr("info@example.com"), List.of(addr("alice@example.com"))));
        d.put(new Recipient.Group(addr("staff@example.com"), "cn=staff",
                List.of(addr("alice@example.com"), addr("bob@example.com")), List.of()));
        d.put(new Recipient.Group(addr("board@example.com"), "cn=board",
                List.of(addr("bob@example.com")), List.of(addr("alice@example.com"))));
        d.tempFail("flaky@example.com");
        d.user("alice", "secret", "alice@example.com");
        d.sendAs("alice", "info@example.com");
        return d;
    }

    public static MailAddress addr(String text) {
        return MailAddress.parse(text).orElseThrow(() -> new IllegalArgumentException(text));
    }

    /** An enabled mailbox whose DN is {@code uid=<address>}. */
    public static Recipient.Mailbox mailbox(String address) {
        return new Recipient.Mailbox(addr(address), "uid=" + address, Optional.empty(), OptionalLong.empty(), false);
    }

    public MapDirectory domain(String domain) {
        domains.add(domain.toLowerCase(Locale.ROOT));
        return this;
    }

    public MapDirectory withoutSubaddressing() {
        subaddressing = false;
        return this;
    }

    public MapDirectory put(Recipient recipient) {
        MailAddress address = switch (recipient) {
            case Recipient.Mailbox m -> m.address();
            case Recipient.Alias a -> a.address();
            case Recipient.Group g -> g.address();
            case Recipient.Forward f -> f.mailbox().address();
            case Recipient.Unknown u -> u.address();
        };
        recipients.put(address.key(), recipient);
        return this;
    }

    /** Enabled mailboxes, each with the DN {@code uid=<address>}. */
    public MapDirectory mailboxes(String... addresses) {
        for (String a : addresses) {
            put(mailbox(a));
        }
        return this;
    }

    /** A mailbox whose DN is {@code uid=<local part>}. */
    public MapDirectory mailbox(String address, boolean disabled) {
        MailAddress a = addr(address);
        return put(new Recipient.Mailbox(a, "uid=" + a.localPart(), Optional.empty(), OptionalLong.empty(), disabled));
    }

    /** A login for an address (its mailbox is added separately, or not at all). */
    public MapDirectory user(String login, String password, String address) {
        accounts.put(login.toLowerCase(Locale.ROOT), new Account(password, "uid=" + login, addr(address), false));
        return this;
    }

    /**
     * A user with a mailbox (its own spool when {@code spool} is set) who logs in with the address
     * or any of {@code logins}; a disabled one is refused at login and at delivery.
     */
    public MapDirectory add(String address, String password, boolean disabled, Optional<String> spool,
                            String... logins) {
        MailAddress mail = addr(address);
        domain(mail.domain());
        put(new Recipient.Mailbox(mail, "uid=" + mail.localPart(), spool, OptionalLong.empty(), disabled));
        Account account = new Account(password, "uid=" + mail.localPart(), mail, disabled);
        accounts.put(address.toLowerCase(Locale.ROOT), account);
        for (String login : logins) {
            accounts.put(login.toLowerCase(Locale.ROOT), account);
        }
        return this;
    }

    public MapDirectory sendAs(String login, String... addresses) {
        Set<String> keys = ConcurrentHashMap.newKeySet();
        for (String a : addresses) {
            keys.add(addr(a).key());
        }
        sendAs.put(login.toLowerCase(Locale.ROOT), keys);
        return this;
    }

    /** The entry {@code dn} holds the relay permission (group or attribute: the double does not tell them apart). */
    public MapDirectory relayPermission(String dn, boolean granted) {
        if (granted) {
            relayers.add(dn.toLowerCase(Locale.ROOT));
        } else {
            relayers.remove(dn.toLowerCase(Locale.ROOT));
        }
        return this;
    }

    /** The entry {@code dn} carries its own per-sender limits (answered when the question names limit attributes). */
    public MapDirectory senderLimits(String dn, OptionalInt recipientsPerMessage, OptionalInt messagesPerHour) {
        limits.put(dn.toLowerCase(Locale.ROOT), new SenderRights(true, recipientsPerMessage, messagesPerHour));
        return this;
    }

    /** The configuration entry {@code dn} lists these trusted networks (valid CIDRs only). */
    public MapDirectory trustedNetworks(String dn, String... cidrs) {
        networks.put(dn.toLowerCase(Locale.ROOT), java.util.Arrays.stream(cidrs).map(c -> Cidr.parse(c).value()).toList());
        return this;
    }

    /** Resolving this address fails temporarily, as if the directory timed out on it. */
    public MapDirectory tempFail(String address) {
        tempFail.add(addr(address).key());
        return this;
    }

    /** Logins wait for {@code gate} to open (tests of logins in flight at the same time). */
    public void gateLogins(CountDownLatch gate) {
        loginGate = gate;
    }

    /** While broken, a login throws: an adapter's bug, not an outage the directory reports. */
    public void broken(boolean value) {
        broken = value;
    }

    /** While down, every question fails temporarily. */
    public void down(boolean value) {
        down = value;
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return down ? Lookup.tempFail("directory down (test)")
                : Lookup.found(domains.contains(domain.toLowerCase(Locale.ROOT)));
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        if (down || tempFail.contains(address.key())) {
            return Lookup.tempFail("directory down (test)");
        }
        Recipient found = recipients.get(address.key());
        String local = address.localPart();
        int plus = local.indexOf('+');
        if (found == null && subaddressing && plus > 0) {
            found = recipients.get(new MailAddress(local.substring(0, plus), address.domain()).key());
        }
        return Lookup.found(found == null ? new Recipient.Unknown(address) : found);
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        if (down) {
            return Lookup.tempFail("directory down (test)");
        }
        return Lookup.found(identity.primaryAddress().key().equals(sender.key())
                || sendAs.getOrDefault(identity.login().toLowerCase(Locale.ROOT), Set.of()).contains(sender.key()));
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        if (down) {
            return Lookup.tempFail("directory down (test)");
        }
        String dn = identity.dn().toLowerCase(Locale.ROOT);
        SenderRights own = limits.getOrDefault(dn, SenderRights.UNRESTRICTED);
        boolean mayRelay = !question.permissionRequired() || relayers.contains(dn);
        return Lookup.found(new SenderRights(mayRelay,
                question.recipientsPerMessageAttribute().isPresent() ? own.recipientsPerMessage() : OptionalInt.empty(),
                question.messagesPerHourAttribute().isPresent() ? own.messagesPerHour() : OptionalInt.empty()));
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        return down ? Lookup.tempFail("directory down (test)")
                : Lookup.found(networks.getOrDefault(source.dn().toLowerCase(Locale.ROOT), List.of()));
    }

    @Override
    public Login authenticate(String login, String password) {
        try {
            loginGate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Login.TempFail("interrupted");
        }
        if (broken) {
            throw new IllegalStateException("directory adapter bug (test)");
        }
        if (down) {
            return new Login.TempFail("directory down (test)");
        }
        Account account = accounts.get(login.toLowerCase(Locale.ROOT));
        if (account == null) {
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
        if (!account.password().equals(password)) {
            return new Login.Failed(Login.Reason.WRONG_PASSWORD);
        }
        if (account.disabled()) {
            return new Login.Failed(Login.Reason.DISABLED);
        }
        return new Login.Succeeded(new Login.Identity(login, account.dn(), account.address()));
    }
}
