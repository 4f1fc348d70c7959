package io.postern.smtp.inbound.command;

import io.postern.mail.Decoded;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeId;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.HandoffKey;
import io.postern.mail.MailAddress;
import io.postern.mail.OriginalRecipient;
import io.postern.mail.Xtext;
import io.postern.smtp.reply.SmtpReply;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Parses the ESMTP parameters of MAIL (SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH, and on LMTP the
 * front's XPOSTERN-KEY, see {@link HandoffKey}) and RCPT (NOTIFY,
 * ORCPT; RFC 1870, 6152, 6531, 3461, 4954, 6533) into typed values. Untrusted input: unknown
 * keywords give 555 5.5.4, bad values 501 5.5.4, and a value that decodes to a control character
 * (CR, LF, NUL ...) 501 5.5.4 with its own text. Nothing of the text a client sent is kept: a
 * parameter added later must get a typed value here, or it is refused as unknown. Stateless.
 */
public final class EnvelopeParameters {
    private EnvelopeParameters() {
    }

    /** A parsed value, or the reply that refuses it. */
    public sealed interface Result<T> {
        record Ok<T>(T value) implements Result<T> {
        }

        record Refused<T>(SmtpReply reply) implements Result<T> {
        }
    }

    /**
     * RFC 4954 5 {@code AUTH=}: the submitter a client claims, or {@code <>} (empty). Validated and
     * then not used: Postern never trusts it and never passes it on (it sends no AUTH= itself).
     */
    public record Submitter(Optional<MailAddress> mailbox) {
        public Submitter {
            Objects.requireNonNull(mailbox);
        }
    }

    /** MAIL FROM parameters. {@code declaredSize} is empty when SIZE was not given. */
    public record Mail(OptionalLong declaredSize, Envelope.BodyType bodyType, boolean smtpUtf8,
                       Optional<Envelope.DsnReturn> dsnReturn, Optional<EnvelopeId> envelopeId,
                       Optional<Submitter> submitter, Optional<HandoffKey> handoffKey) {
        public Mail {
            Objects.requireNonNull(handoffKey);
            Objects.requireNonNull(declaredSize);
            Objects.requireNonNull(bodyType);
            Objects.requireNonNull(dsnReturn);
            Objects.requireNonNull(envelopeId);
            Objects.requireNonNull(submitter);
        }

        public Mail(OptionalLong declaredSize, Envelope.BodyType bodyType, boolean smtpUtf8,
                    Optional<Envelope.DsnReturn> dsnReturn, Optional<EnvelopeId> envelopeId,
                    Optional<Submitter> submitter) {
            this(declaredSize, bodyType, smtpUtf8, dsnReturn, envelopeId, submitter, Optional.empty());
        }
    }

    /** RCPT TO parameters. */
    public record Rcpt(Set<EnvelopeRecipient.DsnNotify> dsnNotify, Optional<OriginalRecipient> originalRecipient) {
        public Rcpt {
            dsnNotify = Set.copyOf(dsnNotify);
            Objects.requireNonNull(originalRecipient);
        }
    }

    public static Result<Mail> mail(Map<String, String> p) {
        OptionalLong size = OptionalLong.empty();
        Envelope.BodyType body = Envelope.BodyType.SEVEN_BIT;
        boolean utf8 = false;
        Optional<Envelope.DsnReturn> ret = Optional.empty();
        Optional<EnvelopeId> envid = Optional.empty();
        Optional<Submitter> submitter = Optional.empty();
        Optional<HandoffKey> handoffKey = Optional.empty();
        for (Map.Entry<String, String> e : p.entrySet()) {
            String value = e.getValue();
            switch (e.getKey()) {
                case HandoffKey.KEYWORD -> {
                    // Only LMTP sessions offer it; the session refuses it elsewhere as unknown.
                    handoffKey = HandoffKey.parse(value);
                    if (handoffKey.isEmpty()) {
                        return syntax();
                    }
                }
                case "SIZE" -> {
                    if (!value.matches("[0-9]{1,18}")) {
                        return syntax();
                    }
                    size = OptionalLong.of(Long.parseLong(value));
                }
                case "BODY" -> {
                    switch (value.toUpperCase(Locale.ROOT)) {
                        case "7BIT" -> body = Envelope.BodyType.SEVEN_BIT;
                        case "8BITMIME" -> body = Envelope.BodyType.EIGHT_BIT_MIME;
                        default -> {
                            return syntax();
                        }
                    }
                }
                case "SMTPUTF8" -> {
                    if (!value.isEmpty()) {
                        return syntax();
                    }
                    utf8 = true;
                }
                case "RET" -> {
                    switch (value.toUpperCase(Locale.ROOT)) {
                        case "FULL" -> ret = Optional.of(Envelope.DsnReturn.FULL);
                        case "HDRS" -> ret = Optional.of(Envelope.DsnReturn.HDRS);
                        default -> {
                            return syntax();
                        }
                    }
                }
                case "ENVID" -> {
                    switch (EnvelopeId.fromXtext(value)) {
                        case Decoded.Valid<EnvelopeId>(EnvelopeId id) -> envid = Optional.of(id);
                        case Decoded.Malformed<EnvelopeId> m -> {
                            return syntax();
                        }
                        case Decoded.HoldsControl<EnvelopeId> c -> {
                            return controls();
                        }
                    }
                }
                case "AUTH" -> {
                    switch (submitter(value)) {
                        case Decoded.Valid<Submitter>(Submitter s) -> submitter = Optional.of(s);
                        case Decoded.Malformed<Submitter> m -> {
                            return syntax();
                        }
                        case Decoded.HoldsControl<Submitter> c -> {
                            return controls();
                        }
                    }
                }
                default -> {
                    return new Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER);
                }
            }
        }
        return new Result.Ok<>(new Mail(size, body, utf8, ret, envid, submitter, handoffKey));
    }

    public static Result<Rcpt> rcpt(Map<String, String> p) {
        Set<EnvelopeRecipient.DsnNotify> notify = EnumSet.noneOf(EnvelopeRecipient.DsnNotify.class);
        Optional<OriginalRecipient> orcpt = Optional.empty();
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
                    switch (OriginalRecipient.fromParameter(e.getValue())) {
                        case Decoded.Valid<OriginalRecipient>(OriginalRecipient o) -> orcpt = Optional.of(o);
                        case Decoded.Malformed<OriginalRecipient> m -> {
                            return syntax();
                        }
                        case Decoded.HoldsControl<OriginalRecipient> c -> {
                            return controls();
                        }
                    }
                }
                default -> {
                    return new Result.Refused<>(SmtpReply.UNKNOWN_PARAMETER);
                }
            }
        }
        return new Result.Ok<>(new Rcpt(notify, orcpt));
    }

    /** RFC 4954 5: {@code AUTH=<>} or the xtext of a mailbox. */
    static Decoded<Submitter> submitter(String xtext) {
        Optional<String> decoded = Xtext.decode(xtext);
        if (decoded.isEmpty()) {
            return new Decoded.Malformed<>();
        }
        if (Xtext.hasControl(decoded.get())) {
            return new Decoded.HoldsControl<>();
        }
        if (decoded.get().equals("<>")) {
            return new Decoded.Valid<>(new Submitter(Optional.empty()));
        }
        return MailAddress.parse(decoded.get()).<Decoded<Submitter>>map(a -> new Decoded.Valid<>(new Submitter(Optional.of(a))))
                .orElseGet(Decoded.Malformed::new);
    }

    private static <T> Result<T> syntax() {
        return new Result.Refused<>(SmtpReply.SYNTAX);
    }

    private static <T> Result<T> controls() {
        return new Result.Refused<>(SmtpReply.PARAMETER_CONTROL_CHARACTERS);
    }
}
