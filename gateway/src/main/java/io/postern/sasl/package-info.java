/**
 * SASL PLAIN and LOGIN, shared by SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034), and the
 * per-client-address limiter for failed logins.
 *
 * <p>Untrusted input: every client line (base64 checked, 12288 octets at most). Passwords are
 * never logged ({@link io.postern.sasl.SaslStep.Credentials#toString()} hides them).
 */
package io.postern.sasl;
