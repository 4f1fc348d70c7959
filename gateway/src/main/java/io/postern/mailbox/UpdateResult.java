package io.postern.mailbox;

/** What the POP3 UPDATE state achieved. A closed set. */
public sealed interface UpdateResult {
    /** Every message marked for deletion is gone. */
    record Done(int deleted) implements UpdateResult {
    }

    /** Some messages could not be removed; they and all others are intact. */
    record Partial(int deleted, int failed) implements UpdateResult {
    }

    /** The lease on the mailbox lock ran out (another node may own it now): nothing was deleted. */
    record LockLost() implements UpdateResult {
    }
}
