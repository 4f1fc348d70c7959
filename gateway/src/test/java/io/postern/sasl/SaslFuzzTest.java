package io.postern.sasl;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Jazzer target for SASL PLAIN and LOGIN as SMTP and POP3 run them. Invariants: every step is
 * one of the four kinds; a challenge is base64 on one line; credentials have a non-empty login
 * and password without NUL and an authorization identity that is empty or the login; and the
 * credentials a client encodes (any valid Unicode) come back exactly, or are refused for one of
 * the documented reasons.
 */
class SaslFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void exchange(FuzzedDataProvider data) {
        SaslMechanism mechanism = data.consumeBoolean() ? SaslMechanism.PLAIN : SaslMechanism.LOGIN;
        if (data.consumeBoolean()) {
            encodedCredentials(mechanism, data);
            return;
        }
        Optional<String> initial = data.consumeBoolean() ? Optional.of(data.consumeString(200)) : Optional.empty();
        SaslExchange.Start start = SaslExchange.start(mechanism, initial);
        SaslStep step = start.firstStep();
        check(step);
        for (int i = 0; i < 3 && step instanceof SaslStep.Challenge && data.remainingBytes() > 0; i++) {
            step = start.exchange().respond(data.consumeString(SaslExchange.MAX_LINE + 10));
            check(step);
        }
    }

    /** What a well-behaved client sends for these credentials must come back unchanged or be refused. */
    private static void encodedCredentials(SaslMechanism mechanism, FuzzedDataProvider data) {
        String authzid = mechanism == SaslMechanism.PLAIN ? wellFormed(data.consumeString(40)) : "";
        String login = wellFormed(data.consumeString(100));
        String password = wellFormed(data.consumeRemainingAsString());
        Base64.Encoder b64 = Base64.getEncoder();
        SaslStep step;
        if (mechanism == SaslMechanism.PLAIN) {
            String line = b64.encodeToString((authzid + "\0" + login + "\0" + password).getBytes(StandardCharsets.UTF_8));
            step = SaslExchange.start(mechanism, Optional.empty()).exchange().respond(line);
        } else {
            SaslExchange exchange = SaslExchange.start(mechanism, Optional.empty()).exchange();
            step = exchange.respond(b64.encodeToString(login.getBytes(StandardCharsets.UTF_8)));
            if (step instanceof SaslStep.Challenge) {
                step = exchange.respond(b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)));
            }
        }
        check(step);
        boolean nulInside = login.indexOf('\0') >= 0 || password.indexOf('\0') >= 0 || authzid.indexOf('\0') >= 0;
        int loginOctets = login.getBytes(StandardCharsets.UTF_8).length;
        int passwordOctets = password.getBytes(StandardCharsets.UTF_8).length;
        boolean fits = mechanism == SaslMechanism.PLAIN
                ? base64Length(authzid.getBytes(StandardCharsets.UTF_8).length + 2 + loginOctets + passwordOctets)
                <= SaslExchange.MAX_LINE
                : base64Length(loginOctets) <= SaslExchange.MAX_LINE && base64Length(passwordOctets) <= SaslExchange.MAX_LINE;
        boolean valid = !login.isEmpty() && !password.isEmpty() && !nulInside
                && (authzid.isEmpty() || authzid.equals(login)) && fits;
        switch (step) {
            case SaslStep.Credentials(String a, String l, String p) -> {
                if (!a.equals(authzid) || !l.equals(login) || !p.equals(password)) {
                    throw new IllegalStateException("credentials changed on the way: " + step);
                }
            }
            case SaslStep.Malformed m -> {
                if (valid) {
                    throw new IllegalStateException("valid credentials refused: " + m.why());
                }
            }
            default -> throw new IllegalStateException("unexpected step " + step);
        }
    }

    private static void check(SaslStep step) {
        switch (step) {
            case null -> throw new IllegalStateException("no step");
            case SaslStep.Challenge(String base64) -> {
                if (!base64.matches("[A-Za-z0-9+/]*={0,2}")) {
                    throw new IllegalStateException("challenge is not one line of base64: " + base64);
                }
            }
            case SaslStep.Credentials(String authzid, String login, String password) -> {
                if (login.isEmpty() || password.isEmpty() || login.indexOf('\0') >= 0 || password.indexOf('\0') >= 0
                        || authzid.indexOf('\0') >= 0 || !(authzid.isEmpty() || authzid.equals(login))) {
                    throw new IllegalStateException("credentials accepted: " + step);
                }
            }
            case SaslStep.Malformed(String why) -> {
                if (why.indexOf('\r') >= 0 || why.indexOf('\n') >= 0) {
                    throw new IllegalStateException("reason spans lines: " + why);
                }
            }
            case SaslStep.Cancelled c -> {
            }
        }
    }

    private static long base64Length(long octets) {
        return 4 * ((octets + 2) / 3);
    }

    /** The text a client can send: valid Unicode (no lone surrogates, which UTF-8 cannot carry). */
    private static String wellFormed(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }
}
