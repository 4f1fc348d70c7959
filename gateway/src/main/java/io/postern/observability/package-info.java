/**
 * Metrics and health: the one place that sets up Micrometer's Prometheus registry
 * ({@link io.postern.observability.Metrics}) with the histogram buckets of every Postern timer
 * ({@code LatencyBuckets}: a small fixed set per timer, no client-side quantiles), the readiness
 * checks behind {@code /readyz} (an {@link io.postern.observability.AdvisoryCheck} is reported
 * but does not gate), and the
 * log line format. The HTTP endpoint that serves them is {@link io.postern.admin}.
 *
 * <p>Input: none from the network. Failure: a readiness check that throws counts as failing and is
 * named in the {@code /readyz} body; nothing here stops the node. Nothing here logs or exposes
 * message content, addresses or passwords.
 */
package io.postern.observability;
