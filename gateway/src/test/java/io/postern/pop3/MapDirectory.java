package io.postern.pop3;

import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** A directory held in maps, for tests: users with several login names, disabled flags, spool overrides. */
final class MapDirectory implements Directory {
    record User(MailAddress address, String password, List<String> logins, Optional<String> spool, boolean disabled) {
    }

    private final Map<String, User> byLogin = new ConcurrentHashMap<>();
    private final Map<MailAddress, User> byAddress = new ConcurrentHashMap<>();
    final AtomicBoolean down = new AtomicBoolean();

    MapDirectory add(String address, String password, boolean disabled, Optional<String> spool, String... logins) {
        MailAddress mail = MailAddress.parse(address).orElseThrow();
        User user = new User(mail, password, List.of(logins), spool, disabled);
        byAddress.put(mail, user);
        byLogin.put(address.toLowerCase(), user);
        for (String login : logins) {
            byLogin.put(login.toLowerCase(), user);
        }
        return this;
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return Lookup.found(true);
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        if (down.get()) {
            return Lookup.tempFail("directory down (test)");
        }
        User user = byAddress.get(address);
        if (user == null) {
            return Lookup.found(new Recipient.Unknown(address));
        }
        return Lookup.found(new Recipient.Mailbox(address, "uid=" + address.localPart(), user.spool(),
                OptionalLong.empty(), user.disabled()));
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return Lookup.found(identity.primaryAddress().equals(sender));
    }

    @Override
    public Login authenticate(String login, String password) {
        if (down.get()) {
            return new Login.TempFail("directory down (test)");
        }
        User user = byLogin.get(login.toLowerCase());
        if (user == null) {
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
        if (!user.password().equals(password)) {
            return new Login.Failed(Login.Reason.WRONG_PASSWORD);
        }
        if (user.disabled()) {
            return new Login.Failed(Login.Reason.DISABLED);
        }
        return new Login.Succeeded(new Login.Identity(login, "uid=" + user.address().localPart(), user.address()));
    }
}
