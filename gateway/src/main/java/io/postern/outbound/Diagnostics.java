package io.postern.outbound;

/**
 * The catalogue of diagnostics this client writes itself (as opposed to remote replies, which are
 * passed on verbatim): one place for every text and its RFC 3463 code.
 */
final class Diagnostics {
    static final String TLS_NOT_OFFERED_CODE = "4.7.4";
    static final String AUTH_FAILED_CODE = "4.7.8";
    static final String AUTH_NEEDS_TLS_CODE = "4.7.0";
    static final String TOO_BIG_CODE = "5.3.4";
    static final String EIGHT_BIT_CODE = "5.6.3";
    static final String SMTPUTF8_CODE = "5.6.7";
    static final String INTERNAL_CODE = "4.3.0";
    static final String NO_ADDRESS_CODE = "4.4.3";
    static final String LMTP_TARGETS_CODE = "4.4.1";
    /** A worker out of step with our session (503 after its own 250s): a retry, not the recipient's fault. */
    static final String OUT_OF_STEP_CODE = "4.5.1";

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

    static String outOfStep(String remoteMta, SmtpReply reply) {
        return "LMTP worker " + remoteMta + " answered out of step with the session (" + reply.oneLine()
                + "); retried on a new session";
    }

    static String noLmtpTargets() {
        return "no LMTP target is configured (outbound.lmtpTargets)";
    }
}
