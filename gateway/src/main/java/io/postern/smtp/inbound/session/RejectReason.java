package io.postern.smtp.inbound.session;

import io.postern.mail.EnhancedStatus;
import java.util.Locale;
import java.util.Optional;

/**
 * Why a reply refused something: the {@code reason} of the {@code event=rejected} log line and the
 * tag of {@code postern.smtp.messages.rejected}. A closed set, so that the metric stays bounded
 * whatever a client or a delivery layer sends. Derived from the reply code and the enhanced status
 * code (RFC 3463) of the reply line, which covers both catalogue replies and per-recipient LMTP
 * outcomes. Immutable.
 */
enum RejectReason {
    UNKNOWN_USER(true),
    DISABLED(true),
    RELAY_DENIED(true),
    /** Group restrictions, sender not owned by the authenticated user. */
    POLICY(true),
    SIZE(true),
    QUOTA(true),
    RECIPIENTS_LIMIT(true),
    /** Bare line endings, over-long text lines, non-ASCII without SMTPUTF8. */
    CONTENT(true),
    LOOP(true),
    /** 4xx: directory or storage unavailable; the client retries. */
    TEMPFAIL(true),
    /** A content filter (milter) refused the message, with its own reply. */
    FILTER(true),
    /** A permanent per-recipient failure reported by the delivery layer (LMTP). */
    DELIVERY_FAILED(true),
    AUTH(false),
    /** Syntax, sequence, unknown command, line too long: the command was refused, no message was. */
    PROTOCOL(false);

    private final boolean message;

    RejectReason(boolean message) {
        this.message = message;
    }

    /** True when a recipient or a message was refused (counted in {@code postern.smtp.messages.rejected}). */
    boolean message() {
        return message;
    }

    /** The tag and log value: {@code unknown-user}. */
    String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The reason of one 4xx/5xx reply, from its code and enhanced status code (empty when it has none). */
    static RejectReason of(int code, Optional<EnhancedStatus> status) {
        int key = status.map(s -> s.subject() * 1000 + s.detail()).orElse(-1);
        return switch (key) {
            case 1001 -> UNKNOWN_USER;
            case 2001 -> DISABLED;
            case 2002 -> QUOTA;
            case 3004 -> SIZE;
            case 4006 -> LOOP;
            case 5003 -> RECIPIENTS_LIMIT;
            case 6007 -> CONTENT;
            case 7000, 7008, 7011 -> AUTH;
            case 7001 -> code == 554 ? RELAY_DENIED : POLICY;
            case 5002 -> code == 554 ? CONTENT : PROTOCOL;
            default -> fallback(code, status);
        };
    }

    private static RejectReason fallback(int code, Optional<EnhancedStatus> status) {
        int subject = status.map(EnhancedStatus::subject).orElse(-1);
        if (code >= 400 && code < 500) {
            return code == 421 || code == 454 && subject == 7 ? PROTOCOL : TEMPFAIL;
        }
        boolean protocol = code <= 504 || subject == 5 || status.isEmpty();
        return protocol ? PROTOCOL : DELIVERY_FAILED;
    }
}
