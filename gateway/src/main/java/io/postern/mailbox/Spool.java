package io.postern.mailbox;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;

/** A snapshot of one spool in one of the two formats delivery writes. Mutable, one session. */
sealed interface Spool permits MaildirSpool, MboxSpool {
    List<SpoolMessage> messages();

    /** The message's octets as sent (see {@link CanonicalMessageStream}); the caller closes it. */
    InputStream open(int index) throws IOException;

    /** Records that the message was retrieved (Maildir: moved to {@code cur/} with the S flag). */
    void markSeen(int index) throws IOException;

    /** Removes the messages; what cannot be removed stays intact and is counted. */
    UpdateResult delete(Set<Integer> indexes);
}
