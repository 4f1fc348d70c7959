package io.postern.config;

/** How a listener offers TLS. */
public enum TlsMode {
    /** Plain text only. */
    NONE,
    /** Plain text, upgraded by STARTTLS (SMTP) or STLS (POP3). */
    STARTTLS,
    /** TLS from the first byte (465, 995). */
    IMPLICIT
}
