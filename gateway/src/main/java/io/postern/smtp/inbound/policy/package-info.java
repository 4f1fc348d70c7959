/**
 * Decisions an SMTP session asks for: may this recipient be accepted (directory look-up, relay
 * rules: closed by default), may this user send as this address, may AUTH be used here, may
 * this connection be opened (caps counted per listener). Directory answers are trusted; client data is not. Directory
 * outages are temporary (451 4.4.3), never a 5xx. Directory calls may block: sessions call them
 * off the event loop.
 */
package io.postern.smtp.inbound.policy;
