/**
 * SASL PLAIN and LOGIN, shared by SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034), and the login
 * throttle shared by every listener ({@link io.postern.sasl.LoginThrottle}).
 *
 * <p>Untrusted input: every client line (base64 checked, 12288 octets at most); logins become
 * throttle keys only lower-cased and cut to 320 characters. Passwords are never logged
 * ({@link io.postern.sasl.SaslStep.Credentials#toString()} hides them). Limits: {@code auth.throttle.*}
 * (failures per network and login, per network; delays; tracked keys). Failure: the throttle
 * never blocks a thread; it answers proceed (maybe after a delay), login locked, or network refused.
 */
package io.postern.sasl;
