/**
 * Value types and contracts shared along the message path: addresses, the envelope, and the
 * two hand-offs (front end to {@link io.postern.mail.MessageSink}, queue to
 * {@link io.postern.mail.DeliveryAgent}), and the front end's question to local delivery
 * before it accepts ({@link io.postern.mail.DeliveryForecast}). Depends on nothing else in Postern; everything may
 * depend on it.
 *
 * <p>Outcomes are types: one recipient's fate is a {@link io.postern.mail.RecipientOutcome}
 * carrying an {@link io.postern.mail.EnhancedStatus} of its own class, from the agent's
 * {@link io.postern.mail.DeliveryResult} to the queue's log line; a deferral also says whose trouble
 * it was ({@link io.postern.mail.DeliveryResult.Cause}), so a directory outage never counts against
 * a destination.
 *
 * <p>Trust: {@link io.postern.mail.MailAddress#parse} takes untrusted input and enforces the
 * RFC 5321 length limits (64 local part, 255 domain); the records assume validated values.
 * {@link io.postern.mail.EnvelopeId} and {@link io.postern.mail.OriginalRecipient} validate in
 * their constructors (no control characters, RFC 3461 character sets) and are written to another
 * hop only through their encoders ({@link io.postern.mail.Xtext}, RFC 3461 and RFC 6533).
 */
package io.postern.mail;
