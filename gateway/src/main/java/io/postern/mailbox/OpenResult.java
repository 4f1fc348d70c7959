package io.postern.mailbox;

/** The result of opening a mailbox for a POP3 session. A closed set: switch on it exhaustively. */
public sealed interface OpenResult {
    /** Locked and listed; the caller closes it. */
    record Opened(OpenMailbox mailbox) implements OpenResult {
    }

    /** Another session on some node holds the mailbox (-ERR [IN-USE]). */
    record InUse(String holder) implements OpenResult {
    }

    /** Storage trouble that may pass (-ERR [SYS/TEMP]). */
    record TempFailure(String reason) implements OpenResult {
    }

    /** The spool cannot be served at all, e.g. an unsafe path from the directory (-ERR [SYS/PERM]). */
    record PermFailure(String reason) implements OpenResult {
    }
}
