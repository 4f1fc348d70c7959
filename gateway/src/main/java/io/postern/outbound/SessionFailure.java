package io.postern.outbound;

import io.postern.mail.EnhancedStatus;
import java.io.IOException;

/**
 * The connection to a remote server failed (refused, timed out, closed, TLS broke, garbled
 * replies): always temporary, the message is deferred or the next host is tried. Carries the
 * RFC 3463 code and a diagnostic for the queue.
 */
final class SessionFailure extends IOException {
    private final EnhancedStatus enhancedCode;

    SessionFailure(EnhancedStatus enhancedCode, String diagnostic) {
        super(diagnostic);
        this.enhancedCode = enhancedCode;
    }

    SessionFailure(EnhancedStatus enhancedCode, String diagnostic, Throwable cause) {
        super(diagnostic, cause);
        this.enhancedCode = enhancedCode;
    }

    EnhancedStatus enhancedCode() {
        return enhancedCode;
    }
}
