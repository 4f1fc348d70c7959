package io.postern.directory;

import io.postern.config.Cidr;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Optional;

/**
 * The questions Postern asks its directory (architecture.md, "The directory is the source of
 * truth"). Implementations are thread-safe. The LDAP adapter, the cache in front of it and the
 * metering wrapper implement it.
 */
public interface Directory {

    /** Is mail for this domain ours to deliver? */
    Lookup<Boolean> isLocalDomain(String domain);

    /** What this address is; subaddresses ({@code user+tag}) resolve to their base mailbox. */
    Lookup<Recipient> resolve(MailAddress address);

    /** May the logged-in identity use {@code sender} as MAIL FROM? */
    Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender);

    /**
     * What the logged-in identity may do as a sender: relay to external domains (a group or an
     * attribute when {@code question} asks for a permission) and its per-sender limits.
     */
    Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question);

    /** The trusted relay networks kept on a configuration entry; values that are not CIDR ranges are skipped (and logged). */
    Lookup<List<Cidr>> trustedNetworks(NetworkSource source);

    /** Checks a login (mail address, UPN, sAMAccountName or uid) by binding as the user. */
    Login authenticate(String login, String password);

    /**
     * This directory as far as it answers from memory without waiting, for an event loop: a view
     * whose every question either answers at once, as this directory would answer it now (a
     * cache's fresh answers), or throws {@link NotInMemory}; it never blocks. Empty when every
     * answer needs a server (the LDAP adapter): ask this directory off the event loop.
     */
    default Optional<Directory> inMemory() {
        return Optional.empty();
    }
}
