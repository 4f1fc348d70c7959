package io.postern.mail;

/**
 * A message could not be accepted for a reason that is not the client's fault and may pass
 * (disk full, write error, delivery layer unreachable): a 4xx reply, never 250, never 5xx.
 */
public final class SinkException extends Exception {
    private final String enhancedCode;

    public SinkException(String enhancedCode, String message, Throwable cause) {
        super(message, cause);
        this.enhancedCode = enhancedCode;
    }

    public SinkException(String enhancedCode, String message) {
        this(enhancedCode, message, null);
    }

    /** Like {@code 4.3.1} (insufficient system storage). */
    public String enhancedCode() {
        return enhancedCode;
    }
}
