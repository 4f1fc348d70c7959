package io.postern.directory;

import io.postern.mail.MailAddress;

/**
 * The questions Postern asks its directory (architecture.md, "The directory is the source of
 * truth"). Implementations are thread-safe. Two exist: the LDAP adapter and the cache in front
 * of it.
 */
public interface Directory {

    /** Is mail for this domain ours to deliver? */
    Lookup<Boolean> isLocalDomain(String domain);

    /** What this address is; subaddresses ({@code user+tag}) resolve to their base mailbox. */
    Lookup<Recipient> resolve(MailAddress address);

    /** May the logged-in identity use {@code sender} as MAIL FROM? */
    Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender);

    /** Checks a login (mail address, UPN, sAMAccountName or uid) by binding as the user. */
    Login authenticate(String login, String password);
}
