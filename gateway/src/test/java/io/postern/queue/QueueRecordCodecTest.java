package io.postern.queue;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeId;
import io.postern.mail.OriginalRecipient;
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
                Optional.of(new OriginalRecipient("rfc822", "carol=2Bx@example.org")));
        Envelope envelope = new Envelope(Optional.of(QueueFixture.address("alice@example.test")), List.of(plain, dsn),
                Envelope.BodyType.BINARY_MIME, true, Optional.of(Envelope.DsnReturn.FULL), Optional.of(new EnvelopeId("env;id=%42")),
                new Envelope.SessionTrace("2001:db8::1", "host\r\nX-Injected: yes", "helo=;%", "ESMTPSA",
                        Optional.of("alice@example.test"), Optional.empty(), Instant.parse("2026-03-01T10:00:00.123Z")));
        QueueRecord fresh = QueueRecord.fresh(0x0123456789ABCDEFL, envelope, 4242, Origin.MESSAGE,
                Instant.parse("2026-03-01T10:00:01Z"));
        return fresh.withRecipients(List.of(
                        fresh.recipients().get(0).with(Status.DELIVERED, EnhancedStatus.OK, "250 2.0.0 ok; id=1\nsecond line",
                                Optional.of("mx1.example.net")).markReported(),
                        fresh.recipients().get(1).with(Status.PENDING, EnhancedStatus.of("4.4.1"), "connection refused", Optional.empty())))
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
    void theTrustedNetworkFlagRoundTripsAndARecordWithoutItReadsAsUntrusted() throws Exception {
        QueueRecord record = sample();
        Envelope e = record.envelope();
        Envelope.SessionTrace t = e.trace();
        Envelope trusted = new Envelope(e.sender(), e.recipients(), e.bodyType(), e.smtpUtf8(), e.dsnReturn(),
                e.dsnEnvelopeId(), new Envelope.SessionTrace(t.clientAddress(), t.clientName(), t.heloName(),
                t.protocol(), Optional.empty(), t.tlsCipher(), t.arrival(), true));
        QueueRecord withFlag = new QueueRecord(record.id(), trusted, record.contentSize(), record.origin(),
                record.attempts(), record.nextAttempt(), record.held(), record.delayNotified(), record.recipients());
        QueueRecord back = QueueRecordCodec.decode(QueueRecordCodec.encode(withFlag));
        assertThat(back.envelope().trace().trustedNetwork()).isTrue();
        assertThat(back.envelope().trace().trustedClient()).isTrue();

        // A record written before the flag existed (no trusted-network line) is still read: untrusted.
        String old = new String(QueueRecordCodec.encode(withFlag), StandardCharsets.UTF_8)
                .replace("trusted-network=true\n", "");
        assertThat(old).doesNotContain("trusted-network");
        QueueRecord legacy = QueueRecordCodec.decode(old.getBytes(StandardCharsets.UTF_8));
        assertThat(legacy.envelope().trace().trustedNetwork()).isFalse();
        assertThat(legacy.envelope().trace().trustedClient()).isFalse();
        assertThat(legacy.recipients()).isEqualTo(record.recipients());
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
    void recordsFromBeforeTypedParametersStayReadableAndLoseOnlyAnInjectedValue() throws Exception {
        // The format did not change: ORCPT and ENVID were stored decoded, percent-escaped. A record
        // written then may hold a decoded CR LF; it is read with that value dropped, never raw.
        String text = new String(QueueRecordCodec.encode(sample()), StandardCharsets.UTF_8);
        assertThat(text).contains(";orcpt=rfc822%3bcarol%3d2Bx@example.org;", "\nenvid=env%3bid%3d%2542\n");
        String old = text.replace(";orcpt=rfc822%3bcarol%3d2Bx@example.org;", ";orcpt=rfc822%3bx%0d%0aRSET;")
                .replace("\nenvid=env%3bid%3d%2542\n", "\nenvid=id%0d%0aDATA\n");
        QueueRecord back = QueueRecordCodec.decode(old.getBytes(StandardCharsets.UTF_8));
        assertThat(back.envelope().dsnEnvelopeId()).isEmpty();
        assertThat(back.recipients().get(1).recipient().originalRecipient()).isEmpty();
        assertThat(back.recipients().get(1).recipient().dsnNotify()).hasSize(2);
        String bare = text.replace(";orcpt=rfc822%3bcarol%3d2Bx@example.org;", ";orcpt=carol@example.org;");
        assertThat(QueueRecordCodec.decode(bare.getBytes(StandardCharsets.UTF_8)).recipients().get(1).recipient()
                .originalRecipient()).contains(new OriginalRecipient("rfc822", "carol@example.org"));
    }

    @Test
    void aStoredCodeIsReadAsAnEnhancedStatusAndAGarbledOneAsNone() throws Exception {
        String text = new String(QueueRecordCodec.encode(sample()), StandardCharsets.UTF_8);
        assertThat(text).contains(";code=2.0.0;", ";code=4.4.1;");
        QueueRecord back = QueueRecordCodec.decode(text.replace(";code=4.4.1;", ";code=4.4.1%0d%0aRSET;")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(back.recipients().get(0).code()).contains(EnhancedStatus.OK);
        assertThat(back.recipients().get(1).code()).isEmpty();
        assertThat(back.recipients().get(1).diagnostic()).isEqualTo("connection refused");
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
                first.with(QueueRecord.Status.FAILED, EnhancedStatus.NO_SUCH_USER, "550 no", Optional.of("")), record.recipients().get(1)));
        assertThat(QueueRecordCodec.decode(QueueRecordCodec.encode(withEmpty))).isEqualTo(withEmpty);
    }

    @Test
    void recipientStateKeepsTheRecipient() {
        RecipientState s = sample().recipients().get(1);
        assertThat(s.recipient().dsnNotify()).containsExactlyInAnyOrder(EnvelopeRecipient.DsnNotify.FAILURE,
                EnvelopeRecipient.DsnNotify.DELAY);
    }
}
