package io.postern.queue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postern.mail.MemoryContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Jazzer target for the DSNs (bounces, delay and success notices) Postern writes from a hostile
 * envelope: a forged sender, ENVID and ORCPT full of control characters, remote diagnostics that
 * try to add header lines, and an arbitrary original message. Invariants on the part Postern
 * writes itself (everything before the returned message): only CRLF line ends, no line over 998
 * octets, every header and DSN field one {@code Name: value} line from the known set, one
 * per-recipient group per reported recipient, and the MIME boundary only where Postern puts it.
 */
class DeliveryReportFuzzTest {
    private static final Pattern FIELD = Pattern.compile(
            "(From|To|Subject|Date|Message-ID|Auto-Submitted|MIME-Version|Content-Type|Content-Transfer-Encoding"
                    + "|Reporting-MTA|X-Postern-Queue-ID|Original-Envelope-Id|Arrival-Date|Final-Recipient"
                    + "|Original-Recipient|Action|Status|Remote-MTA|Diagnostic-Code|Last-Attempt-Date"
                    + "|Will-Retry-Until): [^\\r\\n]*");

    @FuzzTest(maxDuration = "60s")
    void hostileEnvelope(FuzzedDataProvider data) throws IOException {
        QueueRecord record = HostileRecords.record(data);
        DeliveryReport.Kind kind = data.pickValue(DeliveryReport.Kind.values());
        String to = HostileRecords.text(data, 100);
        Instant now = Instant.ofEpochMilli(data.consumeLong(0, 253_402_300_799_000L));
        long sizeLimit = data.consumeLong(0, 4096);
        byte[] original = data.consumeRemainingAsBytes();
        List<QueueRecord.RecipientState> reported = record.recipients();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeliveryReport.write(out, record, reported, kind, to, "mx.example.test", now, now.plusSeconds(86_400),
                new MemoryContent(original), sizeLimit);
        String report = new String(out.toByteArray(), StandardCharsets.UTF_8);
        String boundary = "=_postern_" + record.queueId() + "_" + Long.toHexString(now.toEpochMilli());
        String delimiter = "\r\n--" + boundary + "\r\n";

        int returned = report.indexOf("\r\n--" + boundary + "\r\nContent-Type: " + "message/rfc822");
        if (returned < 0) {
            returned = report.indexOf("\r\n--" + boundary + "\r\nContent-Type: text/rfc822-headers");
        }
        if (returned < 0) {
            throw new IllegalStateException("no returned-message part:\n" + report);
        }
        String own = report.substring(0, returned + 2);
        for (int i = 0; i < own.length(); i++) {
            char c = own.charAt(i);
            if ((c == '\n' && (i == 0 || own.charAt(i - 1) != '\r'))
                    || (c == '\r' && (i + 1 >= own.length() || own.charAt(i + 1) != '\n'))) {
                throw new IllegalStateException("bare line ending at " + i + ":\n" + own);
            }
        }
        String[] sections = own.split(Pattern.quote(delimiter), -1);
        if (sections.length != 3) {
            throw new IllegalStateException(sections.length + " sections before the returned message:\n" + own);
        }
        checkFields(sections[0].substring(0, sections[0].indexOf("\r\n\r\n")), true);
        String status = sections[2];
        if (!status.startsWith("Content-Type: message/delivery-status\r\n\r\n")) {
            throw new IllegalStateException("status part:\n" + status);
        }
        checkFields(status.substring(status.indexOf("\r\n\r\n") + 4), false);
        long groups = status.lines().filter(l -> l.startsWith("Final-Recipient: ")).count();
        if (groups != reported.size()) {
            throw new IllegalStateException(groups + " recipient groups for " + reported.size() + ":\n" + status);
        }
        for (String line : own.split("\r\n")) {
            if (line.getBytes(StandardCharsets.UTF_8).length > 998) {
                throw new IllegalStateException("line over 998 octets: " + line.length());
            }
        }
    }

    /** Every line is a known field (a folded Content-Type continuation in the message header aside). */
    private static void checkFields(String block, boolean messageHeader) {
        for (String line : block.split("\r\n")) {
            if (line.isEmpty() || (messageHeader && line.startsWith("\tboundary=\""))) {
                continue;
            }
            if (!FIELD.matcher(line).matches()) {
                throw new IllegalStateException("not a field line: " + line + "\nin:\n" + block);
            }
        }
    }
}
