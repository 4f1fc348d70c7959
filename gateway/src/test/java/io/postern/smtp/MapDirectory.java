package io.postern.smtp;

import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** A Directory backed by maps, for tests. Mutable before use; reads are thread-safe afterwards. */
public final class MapDirectory implements Directory {
    private final Set<String> domains = new HashSet<>();
    private final Map<String, Recipient> recipients = new HashMap<>();
    private final Map<String, String> passwords = new HashMap<>();
    private final Map<String, Login.Identity> identities = new HashMap<>();
    private final Map<String, Set<String>> sendAs = new HashMap<>();
    private final Set<String> tempFail = new HashSet<>();
    private volatile boolean down;
    private volatile java.util.concurrent.CountDownLatch loginGate = new java.util.concurrent.CountDownLatch(0);

    public static MapDirectory fixture() {
        MapDirectory d = new MapDirectory();
        d.domain("example.com");
        d.mailbox("alice@example.com", false);
        d.mailbox("bob@example.com", false);
        d.mailbox("disabled@example.com", true);
        d.mailbox("jörg@example.com", false);
        d.mailbox("postmaster@example.com", false);
        d.recipients.put("info@example.com", new Recipient.Alias(addr("info@example.com"), List.of(addr("alice@example.com"))));
        d.recipients.put("staff@example.com", new Recipient.Group(addr("staff@example.com"), "cn=staff",
                List.of(addr("alice@example.com"), addr("bob@example.com")), List.of()));
        d.recipients.put("board@example.com", new Recipient.Group(addr("board@example.com"), "cn=board",
                List.of(addr("bob@example.com")), List.of(addr("alice@example.com"))));
        d.tempFail.add("flaky@example.com");
        d.user("alice", "secret", "alice@example.com");
        d.sendAs.put("alice", Set.of("info@example.com"));
        return d;
    }

    static MailAddress addr(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    public MapDirectory domain(String domain) {
        domains.add(domain);
        return this;
    }

    public MapDirectory mailbox(String address, boolean disabled) {
        MailAddress a = addr(address);
        recipients.put(a.key(), new Recipient.Mailbox(a, "uid=" + a.localPart(), Optional.empty(), OptionalLong.empty(),
                disabled));
        return this;
    }

    public MapDirectory user(String login, String password, String address) {
        passwords.put(login, password);
        identities.put(login, new Login.Identity(login, "uid=" + login, addr(address)));
        return this;
    }

    public void down(boolean value) {
        down = value;
    }

    /** Logins wait for {@code gate} to open (tests of logins in flight at the same time). */
    public void gateLogins(java.util.concurrent.CountDownLatch gate) {
        loginGate = gate;
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return down ? Lookup.tempFail("down") : Lookup.found(domains.contains(domain));
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        if (down || tempFail.contains(address.key())) {
            return Lookup.tempFail("directory unreachable");
        }
        return Lookup.found(recipients.getOrDefault(address.key(), new Recipient.Unknown(address)));
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        if (down) {
            return Lookup.tempFail("down");
        }
        return Lookup.found(sendAs.getOrDefault(identity.login(), Set.of()).contains(sender.key()));
    }

    @Override
    public Login authenticate(String login, String password) {
        try {
            loginGate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Login.TempFail("interrupted");
        }
        if (down) {
            return new Login.TempFail("down");
        }
        String expected = passwords.get(login);
        if (expected == null) {
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
        if (!expected.equals(password)) {
            return new Login.Failed(Login.Reason.WRONG_PASSWORD);
        }
        return new Login.Succeeded(identities.get(login));
    }
}
