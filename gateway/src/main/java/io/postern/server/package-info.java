/**
 * Lifecycle of a node: starts the parts its role needs (directory, TLS, listeners, admin
 * endpoint), wires them together, and on SIGTERM stops accepting, tells open sessions the
 * node is going ({@link io.postern.mail.SessionDrain}: 421 4.3.2 once no command is in
 * progress), waits for them up to {@code node.drainTimeout}, then closes. Which readiness
 * checks gate {@code /readyz} depends on the role ({@code RoleReadiness}). An operator's drain
 * ({@code NodeDrain}, {@code POST /queue/drain}) does the first two steps without stopping:
 * listeners close, sessions say 421, {@code /readyz} fails, the queue keeps delivering. The only package
 * that knows every other one.
 *
 * <p>Failure: a part that cannot start stops the node with exit code 1 and one log line.
 */
package io.postern.server;
