package io.postern.smtp.inbound.session;

import io.postern.config.ListenerKind;
import io.postern.sasl.LoginThrottle;
import io.postern.sasl.SaslExchange;
import io.postern.sasl.SaslMechanism;
import io.postern.sasl.SaslStep;
import io.postern.smtp.reply.SmtpReply;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.policy.AuthPolicy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * AUTH (RFC 4954, PLAIN and LOGIN) for one session: whether AUTH may start, the SASL exchange in
 * progress, and the login throttle's admission. It only decides; the session sends the replies,
 * switches between command and AUTH mode, waits the throttle's delay on the channel's scheduler,
 * runs the directory login off the event loop and settles the reserved attempt.
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

    /** After {@code delay}, check these credentials with the directory, then settle {@code attempt}. */
    record Verify(SaslStep.Credentials credentials, LoginThrottle.Attempt attempt, Duration delay) implements Next {
    }

    /** After {@code delay}, answer {@code reply} without checking: this login is locked from this network. */
    record Locked(SmtpReply reply, Duration delay) implements Next {
    }

    /** Close the session with this reply: too many failed logins from the client's network. */
    record Close(SmtpReply reply) implements Next {
    }

    /** What the session knows when AUTH arrives. */
    record Session(boolean lmtp, boolean extendedHello, boolean authenticated, boolean inTransaction, boolean tls,
                   InetAddress client) {
    }

    private final ListenerKind kind;
    private final AuthPolicy policy;
    private final LoginThrottle failures;
    private Optional<SaslExchange> exchange = Optional.empty();
    private InetAddress client;

    AuthCommand(ListenerKind kind, AuthPolicy policy, LoginThrottle failures) {
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
        Optional<SaslMechanism> mechanism = SaslMechanism.named(auth.mechanism());
        if (mechanism.isEmpty()) {
            return new Answer(SmtpReply.UNKNOWN_MECHANISM);
        }
        client = session.client();
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
                yield admit(credentials);
            }
        };
    }

    /** The throttle's check and reservation, in one step, before the password is tried. */
    private Next admit(SaslStep.Credentials credentials) {
        return switch (failures.admit(client, credentials.login())) {
            case LoginThrottle.Admission.Proceed(LoginThrottle.Attempt attempt, Duration delay) ->
                    new Verify(credentials, attempt, delay);
            case LoginThrottle.Admission.LoginLocked(Duration delay) -> new Locked(SmtpReply.AUTH_LOCKED, delay);
            case LoginThrottle.Admission.NetworkRefused n -> new Close(SmtpReply.TOO_MANY_AUTH_FAILURES);
        };
    }
}
