package io.postern.smtp.inbound.session;

import io.postern.directory.Login;
import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** What the envelope verbs (MAIL, RCPT) need from the session. Every method runs on its event loop. */
interface EnvelopeSession {
    /** The open mail transaction (MAIL accepted), if any. */
    Optional<Transaction> transaction();

    /** MAIL was accepted: {@code t} is the session's transaction from now on. */
    void open(Transaction t);

    /** Who logged in (AUTH), if anyone. */
    Optional<Login.Identity> identity();

    InetAddress client();

    /** Off-loop work under the session's {@link io.postern.protocol.OffLoop} policy. */
    <T> void offload(Supplier<T> work, Consumer<T> then);

    /** A catalogue reply; a 4xx/5xx one counts against the error limit and is logged as a rejection. */
    void reply(SmtpReply reply, Object... args);

    /** The recipient that the rejection line of the coming reply names. */
    void naming(MailAddress recipient);

    static boolean nonAscii(MailAddress address) {
        return !java.nio.charset.StandardCharsets.US_ASCII.newEncoder().canEncode(address.toString());
    }
}
