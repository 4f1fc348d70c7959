/**
 * Where to send mail for a domain: MX resolution with dnsjava (RFC 5321 5.1). MX records in
 * preference order, shuffled within one preference; a null MX (RFC 7505) is a permanent failure
 * {@code 5.1.10}; no MX means the domain's own A/AAAA (implicit MX); CNAMEs are followed;
 * NXDOMAIN is a permanent {@code 5.1.2}; SERVFAIL, REFUSED and timeouts are temporary
 * {@code 4.4.3}: a DNS outage never bounces mail.
 *
 * <p>Trust: DNS answers are untrusted input. Limits: at most {@link io.postern.outbound.dns.MxResolver#MAX_MX_HOSTS}
 * MX hosts and {@link io.postern.outbound.dns.MxResolver#MAX_ADDRESSES_PER_HOST} addresses per host are used;
 * each query is bounded by the configured DNS timeout. Failures are values ({@link io.postern.outbound.dns.Route}),
 * never exceptions. Blocking: call from a virtual thread.
 */
package io.postern.outbound.dns;
