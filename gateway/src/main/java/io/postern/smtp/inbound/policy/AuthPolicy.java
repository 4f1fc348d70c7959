package io.postern.smtp.inbound.policy;

import io.postern.config.AuthConfig;
import io.postern.config.ListenerKind;
import java.net.InetAddress;

/**
 * When AUTH may be offered and used. PLAIN and LOGIN carry the password, so they need TLS
 * unless the operator allows plaintext (everywhere, or for loopback clients only). MX listeners
 * offer AUTH only inside TLS, whatever the plaintext settings; LMTP never offers it. Immutable.
 */
public record AuthPolicy(AuthConfig config, ListenerKind listener) {

    /** Is AUTH advertised in EHLO? */
    public boolean offered(boolean tlsActive, InetAddress client) {
        return switch (listener) {
            case LMTP, POP3 -> false;
            case MX -> tlsActive;
            case SUBMISSION -> tlsActive || plaintextAllowed(client);
        };
    }

    /** Without TLS, may a password be sent by this client? (else 538 5.7.11) */
    public boolean plaintextAllowed(InetAddress client) {
        return config.allowPlaintext() || config.allowPlaintextOnLoopback() && client.isLoopbackAddress();
    }
}
