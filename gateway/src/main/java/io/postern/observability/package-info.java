/**
 * Metrics (the only place that sets up Micrometer's Prometheus registry), the admin HTTP endpoint
 * ({@code /metrics}, {@code /healthz}, {@code /readyz}) and the log format.
 *
 * <p>The admin endpoint binds loopback by default; it serves GET and HEAD only and exposes no
 * message content and no credentials.
 */
package io.postern.observability;
