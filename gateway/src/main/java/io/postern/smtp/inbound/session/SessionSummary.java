package io.postern.smtp.inbound.session;

import io.postern.config.ListenerKind;
import io.postern.observability.LogLine;
import java.util.Locale;

/**
 * What the {@code event=session-end} line reports about one SMTP, submission or LMTP session:
 * its protocol, counts of accepted messages, their recipients and refused recipients or messages,
 * and how it ended. Mutable, owned by one session on its event loop.
 */
final class SessionSummary {
    /** How a session ended; the {@code result} value. */
    enum Result {
        /** The client sent QUIT. */
        QUIT,
        /** The client closed the connection (or it broke) without QUIT. */
        DROPPED,
        TIMEOUT,
        /** Too many error replies. */
        ERRORS,
        /** Too many failed AUTH attempts from this client address. */
        AUTH_LIMIT,
        EARLY_TALKER,
        TLS_FAILED,
        SHUTDOWN,
        /** An unexpected exception in the pipeline. */
        ERROR;

        String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final long started = System.nanoTime();
    private final String proto;
    private Result result = Result.DROPPED;
    private boolean ended;
    int messages;
    int recipients;
    int rejected;

    SessionSummary(ListenerKind kind) {
        this.proto = switch (kind) {
            case MX -> "smtp";
            case SUBMISSION -> "submission";
            case LMTP -> "lmtp";
            case POP3 -> "pop3";
        };
    }

    String proto() {
        return proto;
    }

    /** The first cause wins: a timeout reply followed by the close stays a timeout. */
    void endsWith(Result cause) {
        if (result == Result.DROPPED) {
            result = cause;
        }
    }

    /** The session-end line, once; empty afterwards. */
    java.util.Optional<LogLine> end(String client, String helo, boolean tls, String auth) {
        if (ended) {
            return java.util.Optional.empty();
        }
        ended = true;
        return java.util.Optional.of(LogLine.event("session-end").add("proto", proto).add("client", client)
                .add("helo", helo).add("tls", tls ? "yes" : "no").add("auth", auth)
                .add("messages", messages).add("rcpts", recipients).add("rejected", rejected)
                .add("result", result.value()).seconds("duration", started, System.nanoTime()));
    }
}
