/**
 * What every protocol session (SMTP, LMTP, POP3) shares beyond Netty itself: the policy for work
 * that leaves the event loop ({@link io.postern.protocol.OffLoop}). Imports only Netty's executor
 * types; imported by the protocol front ends, never the other way.
 */
package io.postern.protocol;
