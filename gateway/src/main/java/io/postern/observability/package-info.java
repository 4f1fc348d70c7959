/**
 * Metrics and health: the one place that sets up Micrometer's Prometheus registry
 * ({@link io.postern.observability.Metrics}), and the admin HTTP endpoint
 * ({@link io.postern.observability.AdminServer}: {@code /metrics}, {@code /healthz}, {@code /readyz}).
 *
 * <p>Input: HTTP requests on the admin socket, loopback by default; in Kubernetes it binds the pod
 * address so that the kubelet can probe it, and a NetworkPolicy limits who reaches it. Only GET
 * and HEAD on three fixed paths; the request body and query are never read. Limits: a backlog of
 * 16 connections and two worker threads. Failure: a readiness check that throws counts as failing
 * and is named in the {@code /readyz} body; nothing here stops the node. Nothing here logs or
 * exposes message content, addresses or passwords.
 */
package io.postern.observability;
