package io.postern.smtp.inbound.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageStreamTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private MessageStream stream(long maxSize, int maxLine, int maxReceived, boolean normalize) {
        return new MessageStream(new MessageStream.Limits(maxSize, maxLine, maxReceived, normalize), out::write);
    }

    private static void write(MessageStream s, String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        s.write(b, 0, b.length);
    }

    @Test
    void passesCrLfContentAndCountsSize() {
        MessageStream s = stream(1000, 1000, 50, false);
        write(s, "A: b\r\n\r\nbody\r\n");
        s.finish();
        assertThat(s.problem()).isEmpty();
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("A: b\r\n\r\nbody\r\n");
        assertThat(s.size()).isEqualTo(14);
    }

    @Test
    void rejectsBareLfAndBareCrByDefault() {
        MessageStream lf = stream(1000, 1000, 50, false);
        write(lf, "a\nb\r\n");
        assertThat(lf.problem()).contains(MessageStream.Problem.BARE_LINE_ENDING);
        MessageStream cr = stream(1000, 1000, 50, false);
        write(cr, "a\rb\r\n");
        assertThat(cr.problem()).contains(MessageStream.Problem.BARE_LINE_ENDING);
        MessageStream trailing = stream(1000, 1000, 50, false);
        write(trailing, "a\r");
        trailing.finish();
        assertThat(trailing.problem()).contains(MessageStream.Problem.BARE_LINE_ENDING);
    }

    @Test
    void normalisesBareLineEndingsWhenConfigured() {
        MessageStream s = stream(1000, 1000, 50, true);
        write(s, "H: v\n\na\rb\r\n");
        s.finish();
        assertThat(s.problem()).isEmpty();
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("H: v\r\n\r\na\r\nb\r\n");
    }

    @Test
    void sizeLimitStopsWriting() {
        MessageStream s = stream(10, 1000, 50, false);
        write(s, "0123456789\r\n");
        assertThat(s.problem()).contains(MessageStream.Problem.TOO_BIG);
        assertThat(out.size()).isLessThanOrEqualTo(10);
    }

    @Test
    void lineLengthCountsOctetsWithoutCrLf() {
        MessageStream ok = stream(10_000, 1000, 50, false);
        write(ok, "x".repeat(998) + "\r\n");
        assertThat(ok.problem()).isEmpty();
        MessageStream bad = stream(10_000, 1000, 50, false);
        write(bad, "x".repeat(999) + "\r\n");
        assertThat(bad.problem()).contains(MessageStream.Problem.LINE_TOO_LONG);
    }

    @Test
    void countsReceivedHeadersOnlyInTheHeaderSection() {
        MessageStream s = stream(10_000, 1000, 2, false);
        write(s, "Received: a\r\nReceived: b\r\n\r\nReceived: body\r\nReceived: body\r\n");
        s.finish();
        assertThat(s.problem()).isEmpty();
        assertThat(s.receivedHeaders()).isEqualTo(2);
        MessageStream loop = stream(10_000, 1000, 2, false);
        write(loop, "Received: a\r\nReceived: b\r\nReceived: c\r\n\r\n");
        assertThat(loop.problem()).contains(MessageStream.Problem.MAIL_LOOP);
    }

    @Test
    void receivedWithWhiteSpaceBeforeTheColonCountsToo() {
        // RFC 5322 4.5.3 obsolete syntax: any amount of SP/HTAB between the field name and the colon.
        MessageStream s = stream(10_000, 1000, 100, false);
        write(s, "Received : a\r\nRECEIVED\t: b\r\nReceived" + " ".repeat(40) + ": c\r\n"
                + " Received: a continuation line\r\nRec eived: not a field name\r\nReceived-SPF: pass\r\n"
                + "Received x: not one either\r\n\r\nReceived : body\r\n");
        s.finish();
        assertThat(s.receivedHeaders()).isEqualTo(3);
        MessageStream loop = stream(10_000, 1000, 2, false);
        write(loop, "Received: a\r\nReceived : b\r\nReceived\t\t: c\r\n\r\n");
        assertThat(loop.problem()).contains(MessageStream.Problem.MAIL_LOOP);
    }

    @Test
    void collectsDeliveredToAddressesOfTheHeaderSectionOnly() {
        MessageStream s = stream(10_000, 1000, 3, false);
        write(s, "Delivered-To: Alice@Example.test\r\nDelivered-To :  bob@example.test \r\n"
                + " Delivered-To: folded@example.test\r\nX-Delivered-To: x@example.test\r\n"
                + "Delivered-To: c@example.test\r\nDelivered-To: d@example.test\r\n\r\n"
                + "Delivered-To: body@example.test\r\n");
        s.finish();
        // At most maxReceivedHeaders values are kept.
        assertThat(s.deliveredTo()).containsExactly("alice@example.test", "bob@example.test", "c@example.test");
    }

    @Test
    void messageIdAndDateWithWhiteSpaceBeforeTheColonAreSeen() {
        MessageStream s = stream(10_000, 1000, 100, false);
        write(s, "Message-ID : <x@y>\r\nDate\t: Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\n");
        s.finish();
        assertThat(s.hasMessageId()).isTrue();
        assertThat(s.hasDate()).isTrue();
    }

    @Test
    void insertsMissingHeadersAtTheEndOfTheHeaderSection() {
        MessageStream s = stream(10_000, 1000, 50, false);
        s.onHeaderEnd(() -> (s.hasDate() ? "" : "Date: now\r\n").getBytes(StandardCharsets.US_ASCII));
        write(s, "Subject: x\r\n\r\nbody\r\n");
        s.finish();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("Subject: x\r\nDate: now\r\n\r\nbody\r\n");
    }

    @Test
    void headersWithoutBodyAreClosedAtTheEnd() {
        MessageStream s = stream(10_000, 1000, 50, false);
        s.onHeaderEnd(() -> "Date: now\r\n".getBytes(StandardCharsets.US_ASCII));
        write(s, "Subject: x");
        s.finish();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("Subject: x\r\nDate: now\r\n");
    }
}
