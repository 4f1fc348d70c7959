/**
 * Byte-level stages of an SMTP session, each small and bounded: {@link
 * io.postern.smtp.inbound.codec.LineFramer} (command lines, never more than the limit in
 * memory), {@link io.postern.smtp.inbound.codec.DataDecoder} (dot-unstuffing; only
 * {@code <CRLF>.<CRLF>} ends DATA), {@link io.postern.smtp.inbound.codec.MessageStream} (bare CR/LF,
 * line length, size, Received hop count). Untrusted input; nothing here throws on bad bytes:
 * problems are results or flags, reported by the session. Mutable, one per session or message.
 */
package io.postern.smtp.inbound.codec;
