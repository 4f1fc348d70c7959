/**
 * POP3 (RFC 1939) on Netty: CAPA and response codes (RFC 2449, 3206), USER/PASS and SASL PLAIN
 * and LOGIN (RFC 5034, through {@link io.postern.sasl.SaslExchange}), STLS (RFC 2595) and
 * implicit TLS, serving the spools that delivery writes via {@link io.postern.mailbox}.
 *
 * <p>Untrusted input: every line from the network. Limits (config {@code pop3.*}): line length,
 * bad commands per session, pipelined commands waiting, connections per listener and per client
 * (the shared stage of io.postern.net), idle time; failed logins per (client network, login) and per network, counted together with
 * SMTP AUTH by the node's {@link io.postern.sasl.LoginThrottle} ({@code auth.throttle.*}). Passwords are never logged;
 * plaintext logins need TLS unless {@code auth.allowPlaintext} / {@code allowPlaintextOnLoopback}.
 *
 * <p>Failure behaviour: the directory unreachable gives {@code -ERR [SYS/TEMP]}, never "wrong
 * password"; unknown user, wrong password and disabled account get the same {@code -ERR [AUTH]};
 * a mailbox held by a session on any node gives {@code -ERR [IN-USE]}. Deletions happen only on
 * QUIT; a dropped connection deletes nothing. Bytes pipelined behind STLS are discarded.
 */
package io.postern.pop3;
