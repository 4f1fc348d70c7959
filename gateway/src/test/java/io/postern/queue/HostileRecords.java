package io.postern.queue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.queue.QueueRecord.RecipientState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Queue records built from fuzzer data the way a hostile client and hostile remote servers could
 * shape them: addresses only as the SMTP parser accepts them, every other text (HELO name,
 * ENVID, ORCPT, login, remote diagnostics and codes) arbitrary valid Unicode.
 */
final class HostileRecords {
    /** Years 0001 to 9999: what a clock and {@link Instant#toString()} produce in practice. */
    private static final long MIN_SECOND = -62_135_596_800L;
    private static final long MAX_SECOND = 253_402_300_799L;

    private HostileRecords() {
    }

    static QueueRecord record(FuzzedDataProvider data) {
        Optional<MailAddress> sender = data.consumeBoolean() ? address(data) : Optional.empty();
        int count = data.consumeInt(1, 4);
        List<RecipientState> states = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MailAddress address = address(data).orElseGet(() -> MailAddress.parse("user" + states.size() + "@example.net")
                    .orElseThrow());
            Set<EnvelopeRecipient.DsnNotify> notify = EnumSet.noneOf(EnvelopeRecipient.DsnNotify.class);
            for (EnvelopeRecipient.DsnNotify n : EnvelopeRecipient.DsnNotify.values()) {
                if (data.consumeBoolean()) {
                    notify.add(n);
                }
            }
            EnvelopeRecipient recipient = new EnvelopeRecipient(address, notify,
                    optional(data, 120).flatMap(io.postern.mail.OriginalRecipient::of));
            states.add(new RecipientState(recipient, data.pickValue(QueueRecord.Status.values()),
                    io.postern.mail.EnhancedStatus.parse(text(data, 12)),
                    text(data, 200), optional(data, 60), data.consumeBoolean()));
        }
        Envelope.SessionTrace trace = new Envelope.SessionTrace(text(data, 45), text(data, 80), text(data, 80),
                text(data, 12), optional(data, 60), optional(data, 40), instant(data));
        Envelope envelope = new Envelope(sender, states.stream().map(RecipientState::recipient).toList(),
                data.pickValue(Envelope.BodyType.values()), data.consumeBoolean(),
                data.consumeBoolean() ? Optional.of(data.pickValue(Envelope.DsnReturn.values())) : Optional.empty(),
                optional(data, 100).flatMap(io.postern.mail.EnvelopeId::of), trace);
        return new QueueRecord(data.consumeLong(0, Long.MAX_VALUE), envelope, data.consumeLong(0, Long.MAX_VALUE),
                data.pickValue(QueueRecord.Origin.values()), data.consumeInt(0, Integer.MAX_VALUE), instant(data),
                data.consumeBoolean(), data.consumeBoolean(), states);
    }

    /** An address as the SMTP parser would let it in, or empty when the fuzzer's text is not one. */
    static Optional<MailAddress> address(FuzzedDataProvider data) {
        return MailAddress.parse(text(data, 90));
    }

    static String text(FuzzedDataProvider data, int max) {
        String raw = data.consumeString(max);
        return new String(raw.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static Optional<String> optional(FuzzedDataProvider data, int max) {
        return data.consumeBoolean() ? Optional.of(text(data, max)) : Optional.empty();
    }

    private static Instant instant(FuzzedDataProvider data) {
        return Instant.ofEpochSecond(data.consumeLong(MIN_SECOND, MAX_SECOND), data.consumeInt(0, 999_999_999));
    }
}
