/**
 * The server TLS context (TLS 1.2 and 1.3, ECDHE with AEAD suites by default, no client-initiated
 * renegotiation): PEM files, or a self-signed certificate created once
 * for the demo; the time left on the served certificate as a gauge. Trusted input: files named by the
 * operator.
 */
package io.postern.tls;
