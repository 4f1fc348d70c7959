package io.postern.smtp.inbound.session;

import io.netty.util.concurrent.EventExecutor;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.observability.LogLine;
import io.postern.sasl.LoginThrottle;
import io.postern.sasl.SaslStep;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out what {@link AuthCommand} decides: the {@code 334} challenges (the session reads
 * the next line as a SASL response), the throttle's delay (waited on the channel's scheduler with
 * the session suspended, never on a thread), the directory login off the event loop with the
 * throttle's reservation settled by its answer (also when the session is gone by then), and the
 * final reply. Unknown user and wrong password get the same reply; only the log line tells them
 * apart. Mutable through its {@link AuthCommand}; one per session, event loop only.
 */
final class LoginExchange {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What the exchange needs from the session. Every method runs on the event loop. */
    interface Session {
        /** True: the next line is a SASL response; false: a command. */
        void saslMode(boolean on);

        void suspend();

        void resume();

        boolean closed();

        /** Handles the input that waited meanwhile. */
        void process();

        /** Off-loop work under the session's off-loop policy. */
        <T> void offload(Supplier<T> work, Consumer<T> then);

        void loggedIn(Login.Identity who);

        InetAddress client();
    }

    private final AuthCommand auth;
    private final Directory directory;
    private final SessionOutput output;
    private final String hostname;
    private final Session session;
    private EventExecutor scheduler;
    private Optional<String> mechanism = Optional.empty();

    LoginExchange(AuthCommand auth, Directory directory, SessionOutput output, String hostname, Session session) {
        this.auth = auth;
        this.directory = directory;
        this.output = output;
        this.hostname = hostname;
        this.session = session;
    }

    /** The channel's scheduler, once the session is in a pipeline. */
    void bind(EventExecutor executor) {
        this.scheduler = executor;
    }

    void start(Command.Auth command, AuthCommand.Session state) {
        // Kept for the milters' {auth_type}: OpenDKIM signs what an authenticated client sends.
        mechanism = Optional.of(command.mechanism().toUpperCase(Locale.ROOT));
        next(auth.start(command, state));
    }

    /** The mechanism of the session's last AUTH command, upper case; empty before any. */
    Optional<String> mechanism() {
        return mechanism;
    }

    /** The client's line after a {@code 334} challenge. */
    void respond(String line) {
        next(auth.respond(line));
    }

    /** The SASL response line was too long: the exchange is over, the next line is a command. */
    void abandon() {
        session.saslMode(false);
        auth.abandon();
    }

    private void next(AuthCommand.Next next) {
        switch (next) {
            case AuthCommand.Answer(SmtpReply answer) -> {
                session.saslMode(false);
                output.reply(answer);
            }
            case AuthCommand.Challenge(String base64) -> {
                session.saslMode(true);
                output.reply(SmtpReply.AUTH_CHALLENGE, base64);
            }
            case AuthCommand.Verify(SaslStep.Credentials credentials, LoginThrottle.Attempt attempt, Duration delay) -> {
                session.saslMode(false);
                // The attempt is settled where the answer is known, even if the session is gone by then.
                after(delay, attempt::abandoned, () -> session.offload(() -> check(credentials, attempt),
                        this::result));
            }
            case AuthCommand.Locked(SmtpReply reply, Duration delay) -> {
                session.saslMode(false);
                after(delay, () -> { }, () -> output.error(reply));
            }
            case AuthCommand.Close(SmtpReply reply) -> output.closeWith(reply, hostname);
        }
    }

    /** Blocking: the directory's answer, with the throttle's reservation settled by it. */
    private Login check(SaslStep.Credentials credentials, LoginThrottle.Attempt attempt) {
        Login login;
        try {
            login = directory.authenticate(credentials.login(), credentials.password());
        } catch (RuntimeException e) {
            attempt.abandoned();
            throw e;
        }
        switch (login) {
            case Login.Succeeded s -> attempt.succeeded();
            case Login.Failed f -> attempt.failed();
            case Login.TempFail t -> attempt.abandoned();
        }
        return login;
    }

    /**
     * Runs {@code then} after the throttle's {@code delay} with the session suspended meanwhile;
     * {@code gone} runs instead when the session ended while waiting.
     */
    private void after(Duration delay, Runnable gone, Runnable then) {
        if (delay.isZero()) {
            then.run();
            return;
        }
        session.suspend();
        scheduler.schedule(() -> {
            session.resume();
            if (session.closed()) {
                gone.run();
                return;
            }
            then.run();
            session.process();
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void result(Login login) {
        String client = session.client().getHostAddress();
        switch (login) {
            case Login.Succeeded(Login.Identity who) -> {
                session.loggedIn(who);
                LogLine.event("auth-ok").add("client", client).add("login", who.login()).info(LOG);
                output.reply(SmtpReply.AUTH_OK);
            }
            case Login.TempFail t -> output.error(SmtpReply.AUTH_TEMP_FAIL);
            case Login.Failed(Login.Reason reason) -> {
                LOG.info("event=auth-failed client={} reason={}", client, reason);
                output.error(SmtpReply.AUTH_FAILED);
            }
        }
    }
}
