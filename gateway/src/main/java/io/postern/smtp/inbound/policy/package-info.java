/**
 * Decisions an SMTP session asks for: may this recipient be accepted (directory look-up, relay
 * rules: closed by default; trusted networks from the file and the directory; optionally a
 * directory permission to relay after AUTH), may this user send as this address and send one
 * more message (per-sender limits, counted per node in {@code SenderLimiter}: memory bounded by
 * the messages of the last hour), may AUTH be used here, may this connection be opened (caps
 * counted per listener). Directory answers are trusted; client data is not. Directory
 * outages are temporary (451 4.4.3), never a 5xx. Directory calls may block: sessions call them
 * off the event loop.
 */
package io.postern.smtp.inbound.policy;
