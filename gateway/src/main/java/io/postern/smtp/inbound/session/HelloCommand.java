package io.postern.smtp.inbound.session;

import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.reply.SmtpReply;

/**
 * HELO, EHLO and LHLO: the greeting reply, which for EHLO and LHLO lists what this session may
 * use now (SIZE, STARTTLS before TLS, AUTH where a login is offered and none happened yet, the
 * hand-off key on LMTP). Whether the verb is this protocol's, and the reset of a transaction,
 * are the {@link CommandTable}'s. Immutable.
 */
final class HelloCommand {
    private final String hostname;
    private final long maxMessageSize;
    private final ReplyStrategy replies;

    HelloCommand(String hostname, long maxMessageSize, ReplyStrategy replies) {
        this.hostname = hostname;
        this.maxMessageSize = maxMessageSize;
        this.replies = replies;
    }

    /** True for EHLO and LHLO: the session may use the extensions. */
    static boolean extended(Command.Hello hello) {
        return hello.verb() != Command.Verb.HELO;
    }

    /** The whole reply (one line for HELO, the extension list otherwise), CRLF included. */
    String answer(Command.Hello hello, boolean startTls, boolean authOffered) {
        if (!extended(hello)) {
            return SmtpReply.HELO_OK.line(hostname);
        }
        return EhloReply.render(hostname, hello.clientName(), maxMessageSize, startTls, authOffered,
                replies.takesHandoffKey());
    }
}
