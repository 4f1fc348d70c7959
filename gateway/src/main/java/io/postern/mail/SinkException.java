package io.postern.mail;

/**
 * A message could not be accepted for a reason that is not the client's fault and may pass
 * (disk full, write error, delivery layer unreachable): a 4xx reply, never 250, never 5xx.
 */
public final class SinkException extends Exception {
    private final EnhancedStatus enhancedCode;

    /** {@code enhancedCode} must be transient ({@code 4.x.x}): this failure may pass. */
    public SinkException(EnhancedStatus enhancedCode, String message, Throwable cause) {
        super(message, cause);
        if (!enhancedCode.isTransient()) {
            throw new IllegalArgumentException("a sink failure is transient, got " + enhancedCode);
        }
        this.enhancedCode = enhancedCode;
    }

    public SinkException(EnhancedStatus enhancedCode, String message) {
        this(enhancedCode, message, null);
    }

    /** Like {@code 4.3.1} (insufficient system storage). */
    public EnhancedStatus enhancedCode() {
        return enhancedCode;
    }
}
