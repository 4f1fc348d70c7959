package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueRecordCodecTest {
    private static QueueRecord sample() {
        EnvelopeRecipient plain = EnvelopeRecipient.of(QueueFixture.address("bob@example.net"));
        EnvelopeRecipient dsn = new EnvelopeRecipient(QueueFixture.address("\"carol x\"@example.org"),
                Set.of(EnvelopeRecipient.DsnNotify.FAILURE, EnvelopeRecipient.DsnNotify.DELAY),
                Optional.of("rfc822;carol=2Bx@example.org"));
        Envelope envelope = new Envelope(Optional.of(QueueFixture.address("alice@example.test")), List.of(plain, dsn),
                Envelope.BodyType.BINARY_MIME, true, Optional.of(Envelope.DsnReturn.FULL), Optional.of("env;id=%42"),
                new Envelope.SessionTrace("2001:db8::1", "host\r\nX-Injected: yes", "helo=;%", "ESMTPSA",
                        Optional.of("alice@example.test"), Optional.empty(), Instant.parse("2026-03-01T10:00:00.123Z")));
        QueueRecord fresh = QueueRecord.fresh(0x0123456789ABCDEFL, envelope, 4242, Origin.MESSAGE,
                Instant.parse("2026-03-01T10:00:01Z"));
        return fresh.withRecipients(List.of(
                        fresh.recipients().get(0).with(Status.DELIVERED, "2.0.0", "250 2.0.0 ok; id=1\nsecond line",
                                Optional.of("mx1.example.net")).markReported(),
                        fresh.recipients().get(1).with(Status.PENDING, "4.4.1", "connection refused", Optional.empty())))
                .withSchedule(3, Instant.parse("2026-03-01T11:00:00Z"))
                .withDelayNotified();
    }

    @Test
    void roundTripKeepsEveryField() throws Exception {
        QueueRecord record = sample();
        QueueRecord back = QueueRecordCodec.decode(QueueRecordCodec.encode(record));
        assertThat(back).isEqualTo(record);
        assertThat(back.envelope()).isEqualTo(record.envelope());
    }

    @Test
    void hostileValuesCannotForgeLines() {
        String text = new String(QueueRecordCodec.encode(sample()), StandardCharsets.UTF_8);
        assertThat(text.lines()).noneMatch(l -> l.startsWith("X-Injected"));
        assertThat(text.lines().filter(l -> l.startsWith("rcpt=")).count()).isEqualTo(2);
        assertThat(text.lines()).allMatch(l -> l.indexOf('=') > 0);
    }

    @Test
    void truncatedOrTamperedFilesAreCorrupt() {
        byte[] bytes = QueueRecordCodec.encode(sample());
        assertThatThrownBy(() -> QueueRecordCodec.decode(Arrays.copyOf(bytes, bytes.length - 3)))
                .isInstanceOf(QueueRecordCodec.CorruptRecordException.class);
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> QueueRecordCodec.decode(text.replace("postern-queue=1", "postern-queue=9")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(QueueRecordCodec.CorruptRecordException.class);
        assertThatThrownBy(() -> QueueRecordCodec.decode(text.replace("rcpt=bob@example.net", "rcpt=bob%0")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(QueueRecordCodec.CorruptRecordException.class);
        assertThatThrownBy(() -> QueueRecordCodec.decode(text.replace("id=0123456789ABCDEF", "id=../../etc/passwd")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(QueueRecordCodec.CorruptRecordException.class);
    }

    @Test
    void idsAreStrict() {
        assertThat(QueueId.isValid("0123456789ABCDEF")).isTrue();
        assertThat(QueueId.format(QueueId.parse("0123456789ABCDEF"))).isEqualTo("0123456789ABCDEF");
        for (String bad : new String[] {"../x", "0123456789ABCDE\0", "0123456789abcdef", "8123456789ABCDEF",
                "0123456789ABCDEF0", "", "..", "0123456789ABCDE/"}) {
            assertThat(QueueId.isValid(bad)).as(bad).isFalse();
            assertThat(QueueId.parse(bad)).as(bad).isEqualTo(-1);
        }
    }

    /** Found by QueueRecordCodecFuzzTest#hostileRecordRoundTrip: the file has no way to say "a remote MTA named ''". */
    @Test
    void anEmptyRemoteMtaNameIsNoRemoteMtaAndSurvivesTheFile() throws Exception {
        QueueRecord record = sample();
        RecipientState first = record.recipients().getFirst();
        QueueRecord withEmpty = record.withRecipients(List.of(
                first.with(QueueRecord.Status.FAILED, "5.1.1", "550 no", Optional.of("")), record.recipients().get(1)));
        assertThat(QueueRecordCodec.decode(QueueRecordCodec.encode(withEmpty))).isEqualTo(withEmpty);
    }

    @Test
    void recipientStateKeepsTheRecipient() {
        RecipientState s = sample().recipients().get(1);
        assertThat(s.recipient().dsnNotify()).containsExactlyInAnyOrder(EnvelopeRecipient.DsnNotify.FAILURE,
                EnvelopeRecipient.DsnNotify.DELAY);
    }
}
