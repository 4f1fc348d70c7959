package io.postern.smtp.inbound.session;

import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.reply.SmtpReply;

/**
 * The verbs without arguments that change nothing but the session's end: RSET (its reset is the
 * {@link CommandTable}'s), NOOP, QUIT, VRFY (never confirms an address: RFC 5321 3.5.3, 252),
 * EXPN (not implemented: lists are not disclosed) and HELP. STARTTLS is passed on. Stateless.
 */
final class SimpleCommands {
    private SimpleCommands() {
    }

    /** What the session does for a verb. A closed set. */
    sealed interface Outcome {
    }

    /** Answer with this reply (an error reply counts against the error limit). */
    record Answer(SmtpReply reply) implements Outcome {
    }

    /** Answer with this reply and close: QUIT. */
    record Close(SmtpReply reply) implements Outcome {
    }

    /** STARTTLS, which has its own command. */
    record StartTls() implements Outcome {
    }

    static Outcome of(Command.Verb verb) {
        return switch (verb) {
            case RSET -> new Answer(SmtpReply.RESET_OK);
            case NOOP -> new Answer(SmtpReply.OK);
            case QUIT -> new Close(SmtpReply.CLOSING);
            case VRFY -> new Answer(SmtpReply.VRFY);
            case EXPN -> new Answer(SmtpReply.NOT_IMPLEMENTED);
            case HELP -> new Answer(SmtpReply.HELP);
            case STARTTLS -> new StartTls();
            default -> new Answer(SmtpReply.UNKNOWN_COMMAND);
        };
    }
}
