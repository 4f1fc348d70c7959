/**
 * Routing: what the recipients of a message really are, and who delivers to each.
 * {@link io.postern.routing.RecipientExpander} expands aliases, groups (nested) and forwards
 * through the {@link io.postern.directory.Directory}; {@link io.postern.routing.RoutingDeliveryAgent}
 * writes local mailboxes through {@link io.postern.delivery.LocalDelivery} (or hands them to
 * delivery workers over LMTP, role {@code front}; an all-local message before the reply, as
 * {@link io.postern.mail.DirectDelivery}) and hands remote addresses to an outbound
 * {@link io.postern.mail.DeliveryAgent};
 * {@link io.postern.routing.LocalDeliverySink} is the same for the {@code delivery} role's LMTP server.
 * {@link io.postern.routing.MailboxRouter} places each mailbox reached: here, or on to a next hop
 * (a relay domain's, or the user's home server from the directory), which is never a local spool;
 * {@link io.postern.routing.RelayDomainDirectory} makes relay domains accepted and checked at RCPT
 * like local ones ({@code routing.relayDomains}, docs/routing.md).
 * {@link io.postern.routing.DeliveryPrecheck} answers the SMTP front end, before it says 250,
 * whether local delivery would refuse a recipient anyway (full mailbox, Delivered-To loop).
 *
 * <p>Trust: envelope addresses are validated {@link io.postern.mail.MailAddress}es; directory data
 * is trusted for meaning but not for paths (see {@link io.postern.mailbox.SpoolLayout}).
 *
 * <p>Limits: {@code delivery.maxExpansionDepth} (nesting) and {@code delivery.maxExpandedRecipients}
 * (targets of one envelope recipient); exceeding either is a permanent failure for that recipient.
 * Loops end at the first address seen twice; an expansion that reaches nobody fails with 5.4.6.
 * A group that lists allowed senders refuses everyone else (5.7.1), however deeply it is nested;
 * it believes the envelope sender only when the message came from an authenticated session (whose
 * sender the front end checked against the login).
 *
 * <p>Failure: a directory that cannot answer is always temporary (4.4.3), never a bounce; so is a
 * home-server value that is not a host or next hop (4.3.5), and a next hop that is down. Each
 * envelope recipient gets exactly one result: delivered when every target was, failed when any
 * target failed permanently, deferred otherwise.
 */
package io.postern.routing;
