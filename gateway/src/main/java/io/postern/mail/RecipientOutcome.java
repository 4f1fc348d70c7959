package io.postern.mail;

import java.util.Objects;

/**
 * What became of one recipient, from RCPT to the queue record to the log line: a closed set.
 * Each case carries its SMTP reply code and an {@link EnhancedStatus} of the matching class
 * (checked here, so a deferral cannot carry {@code 5.x.x}), and a text safe to show the client.
 * Immutable.
 */
public sealed interface RecipientOutcome {
    int replyCode();

    EnhancedStatus status();

    String text();

    /** Accepted at RCPT or DATA, written into a spool, or taken by the next hop: {@code 2xx}. */
    record Succeeded(int replyCode, EnhancedStatus status, String text) implements RecipientOutcome {
        public Succeeded {
            check(replyCode, status, text, 2);
        }
    }

    /** May succeed later: {@code 4xx}, retried by the queue. */
    record Deferred(int replyCode, EnhancedStatus status, String text) implements RecipientOutcome {
        public Deferred {
            check(replyCode, status, text, 4);
        }
    }

    /** Will never succeed as things stand: {@code 5xx}, refused or bounced. */
    record Failed(int replyCode, EnhancedStatus status, String text) implements RecipientOutcome {
        public Failed {
            check(replyCode, status, text, 5);
        }
    }

    static Succeeded succeeded(EnhancedStatus status, String text) {
        return new Succeeded(250, status, text);
    }

    static Deferred deferred(EnhancedStatus status, String text) {
        return new Deferred(451, status, text);
    }

    static Failed failed(EnhancedStatus status, String text) {
        return new Failed(550, status, text);
    }

    private static void check(int replyCode, EnhancedStatus status, String text, int statusClass) {
        Objects.requireNonNull(status);
        Objects.requireNonNull(text);
        if (replyCode / 100 != statusClass || replyCode < 200 || replyCode > 599) {
            throw new IllegalArgumentException("reply code " + replyCode + " is not of class " + statusClass);
        }
        if (status.statusClass() != statusClass) {
            throw new IllegalArgumentException("enhanced status " + status + " is not of class " + statusClass);
        }
    }
}
