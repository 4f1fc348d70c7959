/**
 * Lifecycle of a node: starts the parts its role needs (directory, TLS, listeners, admin
 * endpoint), wires them together, and on SIGTERM stops accepting, drains sessions up to
 * {@code node.drainTimeout}, then closes. The only package that knows every other one.
 *
 * <p>Failure: a part that cannot start stops the node with exit code 1 and one log line.
 */
package io.postern.server;
