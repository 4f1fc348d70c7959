package io.postern.queue;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.MessageContent;
import io.postern.queue.QueueRecord.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Writes an RFC 3464 delivery status notification: {@code multipart/report;
 * report-type=delivery-status} with a human-readable part, one {@code message/delivery-status}
 * part (a per-message field group, then one field group per reported recipient), and the
 * returned message: {@code message/rfc822} (RET=FULL, when under the size limit and the session
 * logged in or came from a trusted network) or {@code text/rfc822-headers}. Remote diagnostics are untrusted text: control characters are
 * replaced so they cannot add header lines. Stateless.
 */
final class DeliveryReport {
    private static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** What the report says happened (RFC 3464 Action). */
    enum Kind {
        FAILED("failed", "Undelivered Mail Returned to Sender"),
        DELAYED("delayed", "Delayed Mail (still being retried)"),
        DELIVERED("delivered", "Successful Mail Delivery Report");

        final String action;
        final String subject;

        Kind(String action, String subject) {
            this.action = action;
            this.subject = subject;
        }
    }

    private DeliveryReport() {
    }

    static void write(OutputStream out, QueueRecord record, List<RecipientState> recipients, Kind kind, String to,
                      String reportingMta, Instant now, Instant retryUntil, MessageContent original,
                      long sizeLimit) throws IOException {
        Envelope envelope = record.envelope();
        String boundary = "=_postern_" + record.queueId() + "_" + Long.toHexString(now.toEpochMilli());
        // The whole message goes back only to a sender we have reason to believe: otherwise a forged
        // MAIL FROM would make us deliver any content to any third party (backscatter).
        boolean full = envelope.dsnReturn().orElse(Envelope.DsnReturn.HDRS) == Envelope.DsnReturn.FULL
                && original.size() <= sizeLimit && kind == Kind.FAILED && envelope.trace().trustedClient();
        StringBuilder h = new StringBuilder();
        h.append("From: Mail Delivery System <MAILER-DAEMON@").append(reportingMta).append(">\r\n");
        h.append("To: <").append(clean(to)).append(">\r\n");
        h.append("Subject: ").append(kind.subject).append("\r\n");
        h.append("Date: ").append(DATE.format(now)).append("\r\n");
        h.append("Message-ID: <").append(record.queueId()).append('.').append(kind.action).append('.')
                .append(now.toEpochMilli()).append("@").append(reportingMta).append(">\r\n");
        h.append("Auto-Submitted: auto-replied\r\n");
        h.append("MIME-Version: 1.0\r\n");
        h.append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").append(boundary)
                .append("\"\r\n\r\n");
        h.append("This is a MIME-encapsulated message.\r\n\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Type: text/plain; charset=utf-8\r\n");
        h.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        h.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
        switch (kind) {
            case FAILED -> h.append("Your message could not be delivered to one or more recipients.\r\n");
            case DELAYED -> h.append("Your message has not been delivered yet; the mail system will keep trying until ")
                    .append(DATE.format(retryUntil)).append(".\r\n");
            case DELIVERED -> h.append("Your message was delivered to the recipients below.\r\n");
        }
        h.append("\r\n");
        for (RecipientState r : recipients) {
            h.append("<").append(clean(r.recipient().address().toString())).append(">: ")
                    .append(clean(r.diagnostic().isEmpty() ? r.code().map(EnhancedStatus::toString).orElse("") : r.diagnostic())).append("\r\n");
        }
        h.append("\r\n");

        h.append("--").append(boundary).append("\r\n");
        h.append("Content-Type: message/delivery-status\r\n\r\n");
        h.append("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
        h.append("X-Postern-Queue-ID: ").append(record.queueId()).append("\r\n");
        envelope.dsnEnvelopeId().ifPresent(id -> h.append("Original-Envelope-Id: ").append(clean(id.value())).append("\r\n"));
        h.append("Arrival-Date: ").append(DATE.format(record.arrival())).append("\r\n");
        for (RecipientState r : recipients) {
            h.append("\r\n");
            h.append("Final-Recipient: rfc822; ").append(clean(r.recipient().address().toString())).append("\r\n");
            r.recipient().originalRecipient().ifPresent(o -> h.append("Original-Recipient: ").append(clean(o.dsnField()))
                    .append("\r\n"));
            h.append("Action: ").append(kind.action).append("\r\n");
            h.append("Status: ").append(status(r, kind)).append("\r\n");
            r.remoteMta().ifPresent(m -> h.append("Remote-MTA: dns; ").append(clean(m)).append("\r\n"));
            if (!r.diagnostic().isEmpty()) {
                h.append("Diagnostic-Code: smtp; ").append(clean(r.diagnostic())).append("\r\n");
            }
            h.append("Last-Attempt-Date: ").append(DATE.format(now)).append("\r\n");
            if (kind == Kind.DELAYED) {
                h.append("Will-Retry-Until: ").append(DATE.format(retryUntil)).append("\r\n");
            }
        }
        h.append("\r\n");
        h.append("--").append(boundary).append("\r\n");
        if (full) {
            h.append("Content-Type: message/rfc822\r\n");
            h.append("Content-Transfer-Encoding: ")
                    .append(envelope.bodyType() == Envelope.BodyType.SEVEN_BIT ? "7bit" : "8bit").append("\r\n\r\n");
            out.write(h.toString().getBytes(StandardCharsets.UTF_8));
            try (InputStream in = original.open()) {
                in.transferTo(out);
            }
        } else {
            h.append("Content-Type: text/rfc822-headers\r\n\r\n");
            out.write(h.toString().getBytes(StandardCharsets.UTF_8));
            out.write(headers(original, sizeLimit));
        }
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The recorded code when it is one (the file is untrusted), else the class of the report. */
    private static String status(RecipientState r, Kind kind) {
        return r.code().orElse(switch (kind) {
            case FAILED -> EnhancedStatus.PERMANENT;
            case DELAYED -> EnhancedStatus.TEMPORARY;
            case DELIVERED -> EnhancedStatus.OK;
        }).toString();
    }

    /** The header section of the original (without the blank line), cut at a line end within {@code limit}. */
    static byte[] headers(MessageContent original, long limit) throws IOException {
        byte[] head;
        try (InputStream in = original.open()) {
            head = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
        }
        int end = head.length;
        for (int i = 0; i + 1 < head.length; i++) {
            if (head[i] == '\n' && (head[i + 1] == '\n' || head[i + 1] == '\r' && i + 2 < head.length && head[i + 2] == '\n')) {
                end = i + 1;
                break;
            }
            if (i == head.length - 2) {
                int lastLine = lastIndexOf(head, (byte) '\n');
                end = lastLine < 0 ? head.length : lastLine + 1;
            }
        }
        return java.util.Arrays.copyOf(head, end);
    }

    private static int lastIndexOf(byte[] bytes, byte b) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** Untrusted text made safe for one header line. */
    static String clean(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 998));
        for (int i = 0; i < text.length() && out.length() < 900; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return out.toString();
    }
}
