package io.postern.smtp.inbound.command;

import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One parsed SMTP/LMTP command line. A closed set: the session switches on it exhaustively. Immutable. */
public sealed interface Command {

    /** HELO, EHLO or LHLO with the client's name for itself (not trusted, only recorded). */
    record Hello(Verb verb, String clientName) implements Command {
        public Hello {
            Objects.requireNonNull(verb);
            Objects.requireNonNull(clientName);
        }
    }

    /** MAIL FROM; an empty sender is the null reverse path {@code <>}. Parameter keys are upper-case. */
    record Mail(Optional<MailAddress> sender, Map<String, String> parameters) implements Command {
        public Mail {
            Objects.requireNonNull(sender);
            parameters = Map.copyOf(parameters);
        }
    }

    record Rcpt(MailAddress recipient, Map<String, String> parameters) implements Command {
        public Rcpt {
            Objects.requireNonNull(recipient);
            parameters = Map.copyOf(parameters);
        }
    }

    /** RFC 5321 4.5.1: {@code RCPT TO:<Postmaster>} without a domain must be accepted. */
    record RcptPostmaster(Map<String, String> parameters) implements Command {
        public RcptPostmaster {
            parameters = Map.copyOf(parameters);
        }
    }

    record Data() implements Command {
    }

    /** RFC 3030 BDAT: {@code size} octets follow the command line. */
    record Bdat(long size, boolean last) implements Command {
    }

    record Auth(String mechanism, Optional<String> initialResponse) implements Command {
        public Auth {
            Objects.requireNonNull(mechanism);
            Objects.requireNonNull(initialResponse);
        }

        @Override
        public String toString() {
            return "Auth[" + mechanism + "]";
        }
    }

    /** Commands without arguments that matter. */
    record Simple(Verb verb) implements Command {
        public Simple {
            Objects.requireNonNull(verb);
        }
    }

    /** A line that is not a valid command; {@code reply} says why. */
    record Invalid(SmtpReply reply) implements Command {
        public Invalid {
            Objects.requireNonNull(reply);
        }
    }

    enum Verb { HELO, EHLO, LHLO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH }
}
