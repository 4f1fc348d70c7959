package io.postern.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The server side of one PLAIN or LOGIN exchange, shared by SMTP (RFC 4954) and POP3 (RFC 5034).
 * Untrusted input: every line is base64-checked and size-limited; a NUL inside a name or an
 * empty password is malformed. Mutable, one per AUTH command.
 */
public final class SaslExchange {
    /** Longest credentials line accepted (RFC 4954 allows 12288 octets for the whole AUTH line). */
    public static final int MAX_LINE = 12_288;
    private static final String USERNAME_CHALLENGE = b64("Username:");
    private static final String PASSWORD_CHALLENGE = b64("Password:");

    private final SaslMechanism mechanism;
    private String loginName;

    private SaslExchange(SaslMechanism mechanism) {
        this.mechanism = mechanism;
    }

    /** Starts an exchange; {@code initialResponse} is the optional argument after the mechanism name. */
    public static Start start(SaslMechanism mechanism, Optional<String> initialResponse) {
        SaslExchange exchange = new SaslExchange(mechanism);
        return new Start(exchange, exchange.first(initialResponse));
    }

    /** An exchange and its first step. */
    public record Start(SaslExchange exchange, SaslStep firstStep) {
    }

    private SaslStep first(Optional<String> initial) {
        return switch (mechanism) {
            case PLAIN -> initial.map(this::plain).orElse(new SaslStep.Challenge(""));
            case LOGIN -> initial.map(this::loginUsername).orElse(new SaslStep.Challenge(USERNAME_CHALLENGE));
        };
    }

    /** The client's answer to the last challenge. */
    public SaslStep respond(String line) {
        if (line.equals("*")) {
            return new SaslStep.Cancelled();
        }
        return switch (mechanism) {
            case PLAIN -> plain(line);
            case LOGIN -> loginName == null ? loginUsername(line) : loginPassword(line);
        };
    }

    private SaslStep plain(String line) {
        if (line.equals("=")) {
            return new SaslStep.Malformed("empty PLAIN response");
        }
        Optional<String> decoded = decode(line);
        if (decoded.isEmpty()) {
            return new SaslStep.Malformed("not base64");
        }
        String[] parts = decoded.get().split("\u0000", -1);
        if (parts.length != 3) {
            return new SaslStep.Malformed("PLAIN needs authzid NUL authcid NUL password");
        }
        return credentials(parts[0], parts[1], parts[2]);
    }

    private SaslStep loginUsername(String line) {
        Optional<String> decoded = decode(line);
        if (decoded.isEmpty() || decoded.get().isEmpty() || decoded.get().indexOf('\u0000') >= 0) {
            return new SaslStep.Malformed("bad LOGIN username");
        }
        loginName = decoded.get();
        return new SaslStep.Challenge(PASSWORD_CHALLENGE);
    }

    private SaslStep loginPassword(String line) {
        Optional<String> decoded = decode(line);
        if (decoded.isEmpty()) {
            return new SaslStep.Malformed("bad LOGIN password");
        }
        return credentials("", loginName, decoded.get());
    }

    private static SaslStep credentials(String authzid, String login, String password) {
        if (login.isEmpty() || password.isEmpty() || password.indexOf('\u0000') >= 0) {
            return new SaslStep.Malformed("empty login or password");
        }
        if (!authzid.isEmpty() && !authzid.equals(login)) {
            return new SaslStep.Malformed("authorization identity differs from login");
        }
        return new SaslStep.Credentials(authzid, login, password);
    }

    private static Optional<String> decode(String line) {
        if (line.length() > MAX_LINE) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(Base64.getDecoder().decode(line.trim()), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
