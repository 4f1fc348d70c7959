/**
 * The SMTP/LMTP reply catalogue ({@link io.postern.smtp.reply.SmtpReply}) and the reply value
 * ({@link io.postern.smtp.reply.Reply}) every part of the front end speaks in. A leaf: it depends
 * only on {@code io.postern.mail}, so the command parser, the policies and the session can all
 * use it without a package cycle.
 */
package io.postern.smtp.reply;
