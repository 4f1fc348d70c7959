package io.postern.smtp.inbound.session;

import io.postern.smtp.inbound.command.Command;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What the state machine enforces for each verb before the verb's own handler runs, so that no
 * handler repeats it. Checked in this order by {@link SmtpSessionHandler}:
 * <ol>
 * <li>{@link Rule#HELLO}: the verb is one of the greeting verbs and must be this protocol's
 *     (LHLO on LMTP, HELO/EHLO otherwise), else {@code 500 5.5.1};</li>
 * <li>{@link Rule#NEEDS_HELLO}: a HELO/EHLO/LHLO came first, else {@code 503 5.5.1 Send HELO/EHLO first};</li>
 * <li>{@link Rule#STARTS_TRANSACTION}: no transaction is open, else {@code 503 5.5.1 Sender already specified};</li>
 * <li>{@link Rule#NEEDS_AUTH}: on a listener that requires it, a login came first, else {@code 530 5.7.0};</li>
 * <li>{@link Rule#IN_TRANSACTION}: a transaction is open (MAIL came first), else {@code 503 5.5.1 Need MAIL};</li>
 * <li>{@link Rule#RESETS}: the open transaction is dropped before the handler runs.</li>
 * </ol>
 * BDAT is in no transaction rule on purpose: its chunk follows on the wire whatever the state, so
 * it is read first and refused after (RFC 3030). STARTTLS and AUTH refuse a transaction
 * themselves, after their own availability checks (which answer first). Immutable.
 */
final class CommandTable {
    enum Rule { HELLO, NEEDS_HELLO, STARTS_TRANSACTION, NEEDS_AUTH, IN_TRANSACTION, RESETS }

    private static final Map<Command.Verb, Set<Rule>> RULES = new EnumMap<>(Command.Verb.class);

    static {
        for (Command.Verb verb : Command.Verb.values()) {
            RULES.put(verb, EnumSet.noneOf(Rule.class));
        }
        for (Command.Verb hello : new Command.Verb[] {Command.Verb.HELO, Command.Verb.EHLO, Command.Verb.LHLO}) {
            RULES.put(hello, EnumSet.of(Rule.HELLO, Rule.RESETS));
        }
        RULES.put(Command.Verb.MAIL, EnumSet.of(Rule.NEEDS_HELLO, Rule.STARTS_TRANSACTION, Rule.NEEDS_AUTH));
        RULES.put(Command.Verb.RCPT, EnumSet.of(Rule.IN_TRANSACTION));
        RULES.put(Command.Verb.DATA, EnumSet.of(Rule.IN_TRANSACTION));
        RULES.put(Command.Verb.RSET, EnumSet.of(Rule.RESETS));
    }

    private CommandTable() {
    }

    static boolean has(Command.Verb verb, Rule rule) {
        return RULES.get(verb).contains(rule);
    }

    /** The verb of a parsed command (an invalid line has none). */
    static java.util.Optional<Command.Verb> verb(Command command) {
        return java.util.Optional.ofNullable(switch (command) {
            case Command.Hello h -> h.verb();
            case Command.Mail m -> Command.Verb.MAIL;
            case Command.Rcpt r -> Command.Verb.RCPT;
            case Command.RcptPostmaster r -> Command.Verb.RCPT;
            case Command.Data d -> Command.Verb.DATA;
            case Command.Bdat b -> Command.Verb.BDAT;
            case Command.Auth a -> Command.Verb.AUTH;
            case Command.Simple(Command.Verb v) -> v;
            case Command.Invalid i -> null;
        });
    }
}
