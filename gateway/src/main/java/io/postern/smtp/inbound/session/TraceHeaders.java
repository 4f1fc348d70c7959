package io.postern.smtp.inbound.session;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The headers Postern adds: the Received trace line of RFC 5321 4.4 (with the TLS version and
 * cipher, and the login when configured), and on submission a Message-ID and a Date when the
 * client sent none. Client-supplied names are reduced to safe characters so that nothing can
 * inject a header line. Stateless.
 */
final class TraceHeaders {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private TraceHeaders() {
    }

    static byte[] received(String hostname, Envelope envelope, String tlsDescription, boolean showUser, Clock clock) {
        Envelope.SessionTrace trace = envelope.trace();
        StringBuilder h = new StringBuilder();
        h.append("Received: from ").append(safe(trace.heloName()))
                .append(" ([").append(safe(trace.clientAddress())).append("])\r\n")
                .append("\tby ").append(hostname).append(" (Postern) with ").append(trace.protocol());
        if (!tlsDescription.isEmpty()) {
            h.append("\r\n\t(").append(safe(tlsDescription)).append(')');
        }
        if (showUser && trace.authenticatedUser().isPresent()) {
            h.append("\r\n\t(authenticated as ").append(safe(trace.authenticatedUser().get())).append(')');
        }
        List<EnvelopeRecipient> recipients = envelope.recipients();
        if (recipients.size() == 1) {
            h.append("\r\n\tfor <").append(safe(recipients.getFirst().address().toString())).append('>');
        }
        h.append(";\r\n\t").append(date(clock)).append("\r\n");
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] missing(String hostname, boolean hasMessageId, boolean hasDate, Clock clock) {
        StringBuilder h = new StringBuilder();
        if (!hasMessageId) {
            h.append("Message-ID: <").append(UUID.randomUUID()).append('@').append(hostname).append(">\r\n");
        }
        if (!hasDate) {
            h.append("Date: ").append(date(clock)).append("\r\n");
        }
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String date(Clock clock) {
        return DATE.format(ZonedDateTime.now(clock));
    }

    /** Keeps letters, digits and a few punctuation marks; anything else (CR, LF, parentheses) becomes '?'. */
    static String safe(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            boolean ok = Character.isLetterOrDigit(c) || "._-:@+=[]/ ".indexOf(c) >= 0;
            out.appendCodePoint(ok ? c : '?');
        });
        return out.toString();
    }
}
