/**
 * Parses SMTP/LMTP command lines into the closed set {@link io.postern.smtp.inbound.command.Command}.
 * Untrusted input: control bytes, malformed UTF-8, bad paths (including every relay trick that
 * {@link io.postern.mail.MailAddress#parse} refuses) become {@code Command.Invalid} with the reply
 * to send. Paths are limited to 256 octets. ESMTP parameters become typed values in
 * {@link io.postern.smtp.inbound.command.EnvelopeParameters}: a value that decodes to a control
 * character gets {@code 501 5.5.4}, and no parameter text is ever passed on as received. Stateless.
 */
package io.postern.smtp.inbound.command;
