package io.postern.smtp.inbound.session;

import io.postern.config.ListenerKind;
import io.postern.sasl.AuthFailureLimiter;
import io.postern.sasl.SaslExchange;
import io.postern.sasl.SaslMechanism;
import io.postern.sasl.SaslStep;
import io.postern.smtp.SmtpReply;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.policy.AuthPolicy;
import java.net.InetAddress;
import java.util.Optional;

/**
 * AUTH (RFC 4954, PLAIN and LOGIN) for one session: whether AUTH may start, the SASL exchange in
 * progress, and the per-address failure limit. It only decides; the session sends the replies,
 * switches between command and AUTH mode, and runs the directory login off the event loop.
 * Credentials pass through to the directory and are never kept or logged. Mutable (the exchange
 * in progress), one per session, used on its event loop only.
 */
final class AuthCommand {

    /** What the session does next. A closed set. */
    sealed interface Next {
    }

    /** Answer with this reply and stay in (or return to) command mode. */
    record Answer(SmtpReply reply) implements Next {
    }

    /** Send {@code 334} with this challenge and read the next line as a SASL response. */
    record Challenge(String base64) implements Next {
    }

    /** Check these credentials with the directory. */
    record Verify(SaslStep.Credentials credentials) implements Next {
    }

    /** Close the session with this reply: too many failed logins from the client's address. */
    record Close(SmtpReply reply) implements Next {
    }

    /** What the session knows when AUTH arrives. */
    record Session(boolean lmtp, boolean extendedHello, boolean authenticated, boolean inTransaction, boolean tls,
                   InetAddress client) {
    }

    private final ListenerKind kind;
    private final AuthPolicy policy;
    private final AuthFailureLimiter failures;
    private Optional<SaslExchange> exchange = Optional.empty();

    AuthCommand(ListenerKind kind, AuthPolicy policy, AuthFailureLimiter failures) {
        this.kind = kind;
        this.policy = policy;
        this.failures = failures;
    }

    Next start(Command.Auth auth, Session session) {
        if (session.lmtp()) {
            return new Answer(SmtpReply.NOT_IMPLEMENTED);
        }
        if (!session.extendedHello()) {
            return new Answer(SmtpReply.HELO_FIRST);
        }
        if (session.authenticated()) {
            return new Answer(SmtpReply.ALREADY_AUTHENTICATED);
        }
        if (session.inTransaction()) {
            return new Answer(SmtpReply.BAD_SEQUENCE);
        }
        if (!session.tls() && (kind == ListenerKind.MX || !policy.plaintextAllowed(session.client()))) {
            return new Answer(SmtpReply.ENCRYPTION_REQUIRED);
        }
        if (failures.blocked(session.client())) {
            return new Close(SmtpReply.TOO_MANY_AUTH_FAILURES);
        }
        Optional<SaslMechanism> mechanism = SaslMechanism.named(auth.mechanism());
        if (mechanism.isEmpty()) {
            return new Answer(SmtpReply.UNKNOWN_MECHANISM);
        }
        SaslExchange.Start start = SaslExchange.start(mechanism.get(), auth.initialResponse());
        exchange = Optional.of(start.exchange());
        return step(start.firstStep());
    }

    /** The client's line after a {@code 334} challenge. */
    Next respond(String line) {
        return step(exchange.orElseThrow().respond(line));
    }

    /** Forgets the exchange in progress (its response line was too long). */
    void abandon() {
        exchange = Optional.empty();
    }

    /** Records a failed login; true when the client's address is now blocked (close the session). */
    boolean failedAndBlocked(InetAddress client) {
        failures.recordFailure(client);
        return failures.blocked(client);
    }

    private Next step(SaslStep step) {
        return switch (step) {
            case SaslStep.Challenge(String base64) -> new Challenge(base64);
            case SaslStep.Cancelled c -> {
                abandon();
                yield new Answer(SmtpReply.AUTH_CANCELLED);
            }
            case SaslStep.Malformed m -> {
                abandon();
                yield new Answer(SmtpReply.AUTH_MALFORMED);
            }
            case SaslStep.Credentials credentials -> {
                abandon();
                yield new Verify(credentials);
            }
        };
    }
}
