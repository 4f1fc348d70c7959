package io.postern.outbound;

import io.postern.mail.EnhancedStatus;

/**
 * The catalogue of diagnostics this client writes itself (as opposed to remote replies, which are
 * passed on verbatim): one place for every text and its RFC 3463 code.
 */
final class Diagnostics {
    static final EnhancedStatus TLS_NOT_OFFERED_CODE = new EnhancedStatus(4, 7, 4);
    static final EnhancedStatus AUTH_FAILED_CODE = new EnhancedStatus(4, 7, 8);
    static final EnhancedStatus AUTH_NEEDS_TLS_CODE = new EnhancedStatus(4, 7, 0);
    static final EnhancedStatus TOO_BIG_CODE = EnhancedStatus.MESSAGE_TOO_BIG;
    static final EnhancedStatus EIGHT_BIT_CODE = new EnhancedStatus(5, 6, 3);
    static final EnhancedStatus SMTPUTF8_CODE = new EnhancedStatus(5, 6, 7);
    static final EnhancedStatus INTERNAL_CODE = EnhancedStatus.SYSTEM_TEMPORARY;
    static final EnhancedStatus NO_ADDRESS_CODE = EnhancedStatus.DIRECTORY_UNAVAILABLE;
    static final EnhancedStatus LMTP_TARGETS_CODE = new EnhancedStatus(4, 4, 1);
    /** No answer from the host: connect refused or timed out (RFC 3463 X.4.1). */
    static final EnhancedStatus NO_ANSWER_CODE = new EnhancedStatus(4, 4, 1);
    /** The connection broke or timed out in the middle of a session (RFC 3463 X.4.2). */
    static final EnhancedStatus CONNECTION_LOST_CODE = new EnhancedStatus(4, 4, 2);
    /** TLS could not be started (RFC 3463 X.7.5, cryptographic failure). */
    static final EnhancedStatus TLS_FAILED_CODE = new EnhancedStatus(4, 7, 5);
    /** Every LMTP worker is at its session limit (RFC 3463 X.4.5, system congestion). */
    static final EnhancedStatus WORKERS_BUSY_CODE = new EnhancedStatus(4, 4, 5);

    private Diagnostics() {
    }

    static String tlsNotOffered(String remoteMta) {
        return "TLS is required for " + remoteMta + " but STARTTLS was not offered";
    }

    static String tlsRefused(String remoteMta, SmtpReply reply) {
        return "TLS is required for " + remoteMta + " but STARTTLS was refused: " + reply.oneLine();
    }

    static String authNotOffered(String remoteMta) {
        return "relay host " + remoteMta + " does not offer AUTH PLAIN";
    }

    static String authNeedsTls(String remoteMta) {
        return "credentials for " + remoteMta + " are sent only over TLS, and TLS is not active";
    }

    static String authFailed(String remoteMta, SmtpReply reply) {
        return "authentication at relay host " + remoteMta + " failed: " + reply.oneLine();
    }

    static String rejected(String remoteMta, String stage, SmtpReply reply) {
        return "host " + remoteMta + " refused the session at " + stage + ": " + reply.oneLine();
    }

    static String tooBig(String remoteMta, long size, long limit) {
        return "message of " + size + " bytes exceeds the size limit of " + limit + " bytes of " + remoteMta;
    }

    static String eightBit(String remoteMta) {
        return "message has 8-bit content and " + remoteMta + " does not support 8BITMIME (RFC 6152)";
    }

    static String binary(String remoteMta) {
        return "message is BINARYMIME and " + remoteMta + " cannot receive it (BDAT is not used)";
    }

    static String smtpUtf8(String remoteMta) {
        return "message needs SMTPUTF8 (internationalized address) and " + remoteMta + " does not support it";
    }

    static String internal(Throwable e) {
        return "internal error during delivery: " + e.getClass().getSimpleName();
    }

    static String unresolvable(String host, String problem) {
        return "cannot resolve " + host + ": " + problem;
    }

    static String unsafeLine(String remoteMta) {
        return "refused to send a command line holding CR, LF or NUL to " + remoteMta + " (local error)";
    }

    static String noLmtpTargets() {
        return "no LMTP target is configured (outbound.lmtpTargets)";
    }
}
