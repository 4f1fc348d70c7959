/**
 * The admin HTTP front end: two sockets served by {@link io.postern.admin.AdminHttpServer} (Netty),
 * one for metrics and health ({@link io.postern.admin.HealthRoutes}), one for the queue API behind
 * {@link io.postern.admin.QueueApiGuard}, so that a monitoring network can be let in on the first
 * without reaching the second.
 *
 * <p>Input: untrusted HTTP requests. Limits (config {@code admin.*}): {@code requestTimeout} for the
 * whole request to arrive (then 408 and close), {@code maxConnections} open connections per socket
 * (more are closed at once), 4 KiB request line, 8 KiB of headers, 1 KiB of body; one request per
 * connection. A {@code Host} that is neither an IP literal nor one of {@code allowedHosts} gets 421
 * (a DNS-rebinding page names its own host), a missing or malformed one 400. Requests are parsed
 * on the event loop without blocking and routes run on virtual threads, so a slow or stalled
 * client never holds up another request: {@code /healthz} answers while others drip bytes.
 * Failure: a route that throws answers 500 naming only the exception class. Nothing here logs
 * request content or tokens.
 */
package io.postern.admin;
