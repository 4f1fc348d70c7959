/**
 * Parses SMTP/LMTP command lines into the closed set {@link io.postern.smtp.inbound.command.Command}.
 * Untrusted input: control bytes, malformed UTF-8, bad paths (including every relay trick that
 * {@link io.postern.mail.MailAddress#parse} refuses) become {@code Command.Invalid} with the reply
 * to send. Paths are limited to 256 octets. Stateless.
 */
package io.postern.smtp.inbound.command;
