package io.postern.smtp.inbound.command;

import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.Envelope;
import io.postern.smtp.SmtpReply;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Validates the ESMTP parameters of MAIL (SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH) and RCPT
 * (NOTIFY, ORCPT; RFC 1870, 6152, 6531, 3461). Untrusted input: unknown keywords give 555 5.5.4,
 * bad values 501 5.5.4. Stateless.
 */
public final class EnvelopeParameters {
    private static final Set<String> MAIL_KEYS = Set.of("SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH");
    private static final int MAX_ENVID = 100;
    private static final int MAX_ORCPT = 500;

    private EnvelopeParameters() {
    }

    /** A parsed value, or the reply that refuses it. */
    public sealed interface Result<T> {
        record Ok<T>(T value) implements Result<T> {
        }

        record Refused<T>(SmtpReply reply) implements Result<T> {
        }
    }

    /** MAIL FROM parameters. {@code declaredSize} is empty when SIZE was not given. */
    public record Mail(OptionalLong declaredSize, Envelope.BodyType bodyType, boolean smtpUtf8,
                       Optional<Envelope.DsnReturn> dsnReturn, Optional<String> envelopeId) {
    }

    /** RCPT TO parameters. */
    public record Rcpt(Set<EnvelopeRecipient.DsnNotify> dsnNotify, Optional<String> originalRecipient) {
        public Rcpt {
            dsnNotify = Set.copyOf(dsnNotify);
        }
    }

    public static Result<Mail> mail(Map<String, String> p) {
        for (String key : p.keySet()) {
            if (!MAIL_KEYS.contains(key)) {
                return new Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER);
            }
        }
        OptionalLong size = OptionalLong.empty();
        if (p.containsKey("SIZE")) {
            if (!p.get("SIZE").matches("[0-9]{1,18}")) {
                return syntax();
            }
            size = OptionalLong.of(Long.parseLong(p.get("SIZE")));
        }
        Envelope.BodyType body = Envelope.BodyType.SEVEN_BIT;
        if (p.containsKey("BODY")) {
            switch (p.get("BODY").toUpperCase(Locale.ROOT)) {
                case "7BIT" -> body = Envelope.BodyType.SEVEN_BIT;
                case "8BITMIME" -> body = Envelope.BodyType.EIGHT_BIT_MIME;
                default -> {
                    return syntax();
                }
            }
        }
        boolean utf8 = p.containsKey("SMTPUTF8");
        if (utf8 && !p.get("SMTPUTF8").isEmpty()) {
            return syntax();
        }
        Optional<Envelope.DsnReturn> ret = Optional.empty();
        if (p.containsKey("RET")) {
            switch (p.get("RET").toUpperCase(Locale.ROOT)) {
                case "FULL" -> ret = Optional.of(Envelope.DsnReturn.FULL);
                case "HDRS" -> ret = Optional.of(Envelope.DsnReturn.HDRS);
                default -> {
                    return syntax();
                }
            }
        }
        Optional<String> envid = Optional.empty();
        if (p.containsKey("ENVID")) {
            envid = CommandParser.decodeXtext(p.get("ENVID")).filter(v -> !v.isEmpty() && v.length() <= MAX_ENVID);
            if (envid.isEmpty()) {
                return syntax();
            }
        }
        return new Result.Ok<>(new Mail(size, body, utf8, ret, envid));
    }

    public static Result<Rcpt> rcpt(Map<String, String> p) {
        Set<EnvelopeRecipient.DsnNotify> notify = EnumSet.noneOf(EnvelopeRecipient.DsnNotify.class);
        Optional<String> orcpt = Optional.empty();
        for (Map.Entry<String, String> e : p.entrySet()) {
            switch (e.getKey()) {
                case "NOTIFY" -> {
                    for (String v : e.getValue().split(",", -1)) {
                        try {
                            notify.add(EnvelopeRecipient.DsnNotify.valueOf(v.toUpperCase(Locale.ROOT)));
                        } catch (IllegalArgumentException bad) {
                            return syntax();
                        }
                    }
                    if (notify.contains(EnvelopeRecipient.DsnNotify.NEVER) && notify.size() > 1) {
                        return syntax();
                    }
                }
                case "ORCPT" -> {
                    int semi = e.getValue().indexOf(';');
                    Optional<String> decoded = semi <= 0 ? Optional.empty()
                            : CommandParser.decodeXtext(e.getValue().substring(semi + 1));
                    if (decoded.isEmpty() || decoded.get().isEmpty() || decoded.get().length() > MAX_ORCPT) {
                        return syntax();
                    }
                    orcpt = Optional.of(e.getValue().substring(0, semi) + ";" + decoded.get());
                }
                default -> {
                    return new Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER);
                }
            }
        }
        return new Result.Ok<>(new Rcpt(notify, orcpt));
    }

    private static <T> Result<T> syntax() {
        return new Result.Refused<>(SmtpReply.SYNTAX);
    }
}
