package io.postern.queue;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeId;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.OriginalRecipient;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The envelope file format: UTF-8 lines {@code key=value}, first line {@code postern-queue=1},
 * last line {@code end=} so a truncated file is detected. Values are percent-escaped ({@code %},
 * {@code ;}, {@code =}, CR, LF and other control characters), so a hostile address or HELO name
 * cannot forge a line. A key added later is optional when read, with the safe default
 * ({@code trusted-network}: false), so records written by an older version stay readable.
 * Recipients are one line each: {@code rcpt=addr;notify=..;orcpt=..;state=..}.
 * ENVID and ORCPT are stored decoded ({@code orcpt=type;address}); reading re-validates them as
 * {@link EnvelopeId} and {@link OriginalRecipient}, and drops a value that is not valid (a record
 * written by a version that kept such values raw) rather than the message.
 * Stateless and thread-safe. Reading treats the file as untrusted: any problem is a
 * {@link CorruptRecordException}, never a half-read record.
 */
final class QueueRecordCodec {
    static final String VERSION = "1";

    private QueueRecordCodec() {
    }

    static final class CorruptRecordException extends Exception {
        CorruptRecordException(String message) {
            super(message);
        }
    }

    static byte[] encode(QueueRecord r) {
        Envelope e = r.envelope();
        Envelope.SessionTrace t = e.trace();
        StringBuilder out = new StringBuilder(512);
        line(out, "postern-queue", VERSION);
        line(out, "id", r.queueId());
        line(out, "size", Long.toString(r.contentSize()));
        line(out, "origin", r.origin().name().toLowerCase(Locale.ROOT));
        line(out, "sender", e.sender().map(MailAddress::toString).orElse(""));
        line(out, "body", e.bodyType().name());
        line(out, "smtputf8", Boolean.toString(e.smtpUtf8()));
        line(out, "ret", e.dsnReturn().map(Enum::name).orElse(""));
        line(out, "envid", e.dsnEnvelopeId().map(EnvelopeId::value).orElse(""));
        line(out, "envid-present", Boolean.toString(e.dsnEnvelopeId().isPresent()));
        line(out, "client-address", t.clientAddress());
        line(out, "client-name", t.clientName());
        line(out, "helo", t.heloName());
        line(out, "protocol", t.protocol());
        line(out, "auth", t.authenticatedUser().orElse(""));
        line(out, "auth-present", Boolean.toString(t.authenticatedUser().isPresent()));
        line(out, "tls", t.tlsCipher().orElse(""));
        line(out, "tls-present", Boolean.toString(t.tlsCipher().isPresent()));
        line(out, "trusted-network", Boolean.toString(t.trustedNetwork()));
        line(out, "arrival", t.arrival().toString());
        line(out, "attempts", Integer.toString(r.attempts()));
        line(out, "next", r.nextAttempt().toString());
        line(out, "held", Boolean.toString(r.held()));
        line(out, "delay-notified", Boolean.toString(r.delayNotified()));
        for (RecipientState s : r.recipients()) {
            EnvelopeRecipient rc = s.recipient();
            StringBuilder notify = new StringBuilder();
            for (EnvelopeRecipient.DsnNotify n : EnvelopeRecipient.DsnNotify.values()) {
                if (rc.dsnNotify().contains(n)) {
                    notify.append(notify.isEmpty() ? "" : ",").append(n.name());
                }
            }
            out.append("rcpt=").append(escape(rc.address().toString()))
                    .append(";notify=").append(notify)
                    .append(";orcpt=").append(rc.originalRecipient().map(o -> escape(o.toString())).orElse(""))
                    .append(";orcpt-present=").append(rc.originalRecipient().isPresent())
                    .append(";state=").append(s.status().name())
                    .append(";code=").append(s.code().map(EnhancedStatus::toString).orElse(""))
                    .append(";remote=").append(s.remoteMta().map(QueueRecordCodec::escape).orElse(""))
                    .append(";reported=").append(s.reported())
                    .append(";diag=").append(escape(s.diagnostic()))
                    .append('\n');
        }
        line(out, "end", "");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static QueueRecord decode(byte[] bytes) throws CorruptRecordException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.endsWith("end=\n")) {
            throw new CorruptRecordException("truncated (no end line)");
        }
        Map<String, String> fields = new HashMap<>();
        List<String> rcpts = new ArrayList<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new CorruptRecordException("malformed line");
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (key.equals("rcpt")) {
                rcpts.add(value);
            } else if (fields.put(key, value) != null) {
                throw new CorruptRecordException("duplicate key " + key);
            }
        }
        if (!VERSION.equals(fields.get("postern-queue"))) {
            throw new CorruptRecordException("unknown format version");
        }
        try {
            long id = QueueId.parse(unescape(need(fields, "id")));
            if (id < 0) {
                throw new CorruptRecordException("bad id");
            }
            String sender = unescape(need(fields, "sender"));
            Optional<MailAddress> senderAddress = sender.isEmpty() ? Optional.empty() : Optional.of(address(sender));
            String ret = need(fields, "ret");
            Envelope.SessionTrace trace = new Envelope.SessionTrace(
                    unescape(need(fields, "client-address")), unescape(need(fields, "client-name")),
                    unescape(need(fields, "helo")), unescape(need(fields, "protocol")),
                    optional(fields, "auth"), optional(fields, "tls"),
                    Instant.parse(need(fields, "arrival")),
                    // Records written before this field existed: untrusted, the safe reading.
                    Boolean.parseBoolean(fields.getOrDefault("trusted-network", "false")));
            List<RecipientState> states = new ArrayList<>();
            for (String rcpt : rcpts) {
                states.add(recipient(rcpt));
            }
            Envelope envelope = new Envelope(senderAddress, states.stream().map(RecipientState::recipient).toList(),
                    Envelope.BodyType.valueOf(need(fields, "body")), Boolean.parseBoolean(need(fields, "smtputf8")),
                    ret.isEmpty() ? Optional.empty() : Optional.of(Envelope.DsnReturn.valueOf(ret)),
                    optional(fields, "envid").flatMap(EnvelopeId::of), trace);
            return new QueueRecord(id, envelope, Long.parseLong(need(fields, "size")),
                    Origin.valueOf(need(fields, "origin").toUpperCase(Locale.ROOT)),
                    Integer.parseInt(need(fields, "attempts")), Instant.parse(need(fields, "next")),
                    Boolean.parseBoolean(need(fields, "held")), Boolean.parseBoolean(need(fields, "delay-notified")),
                    states);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new CorruptRecordException("bad value: " + e.getMessage());
        }
    }

    private static RecipientState recipient(String value) throws CorruptRecordException {
        Map<String, String> parts = new HashMap<>();
        boolean first = true;
        for (String part : value.split(";", -1)) {
            if (first) {
                parts.put("address", part);
                first = false;
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new CorruptRecordException("malformed recipient");
            }
            parts.put(part.substring(0, eq), part.substring(eq + 1));
        }
        Set<EnvelopeRecipient.DsnNotify> notify = EnumSet.noneOf(EnvelopeRecipient.DsnNotify.class);
        String notifyText = need(parts, "notify");
        if (!notifyText.isEmpty()) {
            for (String n : notifyText.split(",")) {
                notify.add(EnvelopeRecipient.DsnNotify.valueOf(n));
            }
        }
        // Before typed parameters a record could hold any decoded ORCPT (control characters too): such a
        // value is dropped, not the message, and the hop gets ORCPT derived from the recipient instead.
        Optional<OriginalRecipient> orcpt = Boolean.parseBoolean(need(parts, "orcpt-present"))
                ? OriginalRecipient.of(unescape(need(parts, "orcpt"))) : Optional.empty();
        String remote = unescape(need(parts, "remote"));
        return new RecipientState(new EnvelopeRecipient(address(unescape(need(parts, "address"))), notify, orcpt),
                Status.valueOf(need(parts, "state")), EnhancedStatus.parse(unescape(need(parts, "code"))),
                unescape(need(parts, "diag")),
                remote.isEmpty() ? Optional.empty() : Optional.of(remote), Boolean.parseBoolean(need(parts, "reported")));
    }

    private static MailAddress address(String text) throws CorruptRecordException {
        return MailAddress.parse(text).orElseThrow(() -> new CorruptRecordException("bad address"));
    }

    private static Optional<String> optional(Map<String, String> fields, String key) throws CorruptRecordException {
        return Boolean.parseBoolean(need(fields, key + "-present")) ? Optional.of(unescape(need(fields, key)))
                : Optional.empty();
    }

    private static String need(Map<String, String> fields, String key) throws CorruptRecordException {
        String value = fields.get(key);
        if (value == null) {
            throw new CorruptRecordException("missing " + key);
        }
        return value;
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(key).append('=').append(escape(value)).append('\n');
    }

    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%' || c == ';' || c == '=' || c < 0x20 || c == 0x7f) {
                out.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String unescape(String value) throws CorruptRecordException {
        if (value.indexOf('%') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 2 >= value.length()) {
                throw new CorruptRecordException("bad escape");
            }
            int hi = Character.digit(value.charAt(i + 1), 16);
            int lo = Character.digit(value.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new CorruptRecordException("bad escape");
            }
            out.append((char) (hi << 4 | lo));
            i += 2;
        }
        return out.toString();
    }
}
