package io.postern.pop3;

import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.mailbox.OpenMailbox;
import io.postern.mailbox.OpenResult;
import java.util.Locale;
import java.util.Optional;

/**
 * One POP3 login from credentials to an open mailbox: the directory checks the password, finds
 * the spool (its override, else the layout from the primary address) and whether the account
 * is disabled; the mailbox store takes the cluster-wide lock and lists the messages. Every
 * failure becomes a {@link LoginOutcome} that says what the client hears. Blocking, stateless,
 * thread-safe.
 */
final class Pop3Login {
    /** How a login attempt ended. A closed set. */
    sealed interface LoginOutcome {
        record LoggedIn(String login, OpenMailbox mailbox) implements LoginOutcome {
        }

        /** Unknown user, wrong password, disabled: counted against the client, answered alike. */
        record Refused(String login, String why) implements LoginOutcome {
        }

        /** Any other failure, with its reply and meter. */
        record Reply(String login, String reply, Pop3Metrics.LoginResult result, String why) implements LoginOutcome {
        }
    }

    private final Pop3Services services;

    Pop3Login(Pop3Services services) {
        this.services = services;
    }

    /** Directory bind, spool lookup, lock, listing. Blocking: call it off the event loop. */
    LoginOutcome attempt(String login, String password) {
        Login result = services.directory().authenticate(login, password);
        return switch (result) {
            case Login.Failed f -> new LoginOutcome.Refused(login, f.reason().name().toLowerCase(Locale.ROOT));
            case Login.TempFail t -> new LoginOutcome.Reply(login, Pop3Reply.DIRECTORY_TEMP.text(),
                    Pop3Metrics.LoginResult.TEMPFAIL, t.reason());
            case Login.Succeeded s -> open(login, s.identity().primaryAddress());
        };
    }

    private LoginOutcome open(String login, MailAddress owner) {
        Optional<String> spool;
        switch (services.directory().resolve(owner)) {
            case Lookup.TempFail<Recipient> t -> {
                return new LoginOutcome.Reply(login, Pop3Reply.DIRECTORY_TEMP.text(), Pop3Metrics.LoginResult.TEMPFAIL,
                        t.reason());
            }
            case Lookup.Found<Recipient> f -> {
                switch (f.value()) {
                    case Recipient.Mailbox m -> {
                        if (m.disabled()) {
                            return new LoginOutcome.Refused(login, "disabled");
                        }
                        spool = m.spool();
                    }
                    case Recipient.Forward fw -> {
                        if (fw.mailbox().disabled()) {
                            return new LoginOutcome.Refused(login, "disabled");
                        }
                        spool = fw.mailbox().spool();
                    }
                    case Recipient.Alias a -> spool = Optional.empty();
                    case Recipient.Group g -> spool = Optional.empty();
                    case Recipient.Unknown u -> spool = Optional.empty();
                }
            }
        }
        return switch (services.mailboxes().open(owner, spool)) {
            case OpenResult.Opened o -> new LoginOutcome.LoggedIn(login, o.mailbox());
            case OpenResult.InUse u -> new LoginOutcome.Reply(login, Pop3Reply.IN_USE.text(), Pop3Metrics.LoginResult.IN_USE,
                    "held by " + u.holder());
            case OpenResult.TempFailure t -> new LoginOutcome.Reply(login, Pop3Reply.STORAGE_TEMP.text(),
                    Pop3Metrics.LoginResult.TEMPFAIL, t.reason());
            case OpenResult.PermFailure p -> new LoginOutcome.Reply(login, Pop3Reply.MAILBOX_PERM.text(),
                    Pop3Metrics.LoginResult.SYS_PERM, p.reason());
        };
    }
}
