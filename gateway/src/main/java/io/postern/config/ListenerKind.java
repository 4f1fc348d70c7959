package io.postern.config;

/** The protocol and policy a listener speaks. */
public enum ListenerKind {
    /** SMTP from other MTAs (port 25): local domains without AUTH; AUTH only after STARTTLS. */
    MX,
    /** Message submission (587 with STARTTLS, 465 with implicit TLS): AUTH required. */
    SUBMISSION,
    /** LMTP (RFC 2033) from the front tier or an existing MTA. */
    LMTP,
    /** POP3 (110 with STLS, 995 with implicit TLS). */
    POP3
}
