package io.postern.directory;

import io.postern.mail.MailAddress;
import java.util.Objects;

/**
 * The result of checking a login. The network client only ever learns success or failure;
 * {@link Failed#reason()} is for logs and {@code postern auth-test}.
 */
public sealed interface Login {
    record Succeeded(Identity identity) implements Login {
        public Succeeded {
            Objects.requireNonNull(identity);
        }
    }

    record Failed(Reason reason) implements Login {
        public Failed {
            Objects.requireNonNull(reason);
        }
    }

    /** Directory unreachable: try again later, never "wrong password". */
    record TempFail(String reason) implements Login {
    }

    /** Why a login failed, for the operator (AD data codes 525, 52e, 533, 701, 775 map here). */
    enum Reason { UNKNOWN_USER, WRONG_PASSWORD, DISABLED, LOCKED, EXPIRED, EMPTY_PASSWORD, INVALID_LOGIN }

    /** Who logged in: their entry and their primary address (the spool owner). */
    record Identity(String login, String dn, MailAddress primaryAddress) {
        public Identity {
            Objects.requireNonNull(login);
            Objects.requireNonNull(dn);
            Objects.requireNonNull(primaryAddress);
        }
    }
}
