package io.postern.mail;

/**
 * The node is stopping: sent to every open session (as a Netty user event) once the listeners
 * are closed. A session between commands says goodbye at once with its protocol's "shutting
 * down" reply ({@code 421 4.3.2}, {@code -ERR [SYS/TEMP]}); one in the middle of a command,
 * a message or a transfer finishes it first, then says goodbye instead of reading the next
 * command. The client retries elsewhere; nothing accepted is lost.
 */
public enum SessionDrain {
    INSTANCE
}
