package io.postern.queue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Jazzer targets for the queue's envelope files. A file on disk is untrusted (another node, a
 * crash, an operator's editor): decoding any bytes either yields a record or throws the declared
 * {@link CorruptRecordException}, nothing else. A record the codec accepts survives a write and
 * a read unchanged, and a record built from hostile text is written as exactly one line per field
 * and per recipient (no value can add a line or a field) and reads back equal.
 */
class QueueRecordCodecFuzzTest {
    /** The lines of a record besides its recipients: postern-queue through delay-notified, and end. */
    private static final int FIXED_LINES = 24;

    @DictionaryEntries({"rcpt=", ";notify=", ";orcpt=", ";orcpt-present=true", ";state=", ";code=", ";remote=", ";reported=", ";diag=", "postern-queue=1\n", "end=\n", "PENDING", "FAILED", "DELIVERED", "%0a", "-present=true", "T00:00:00Z"})
    @FuzzTest(maxDuration = "60s")
    void decodeArbitraryBytes(byte[] bytes) {
        QueueRecord record;
        try {
            record = QueueRecordCodec.decode(bytes);
        } catch (CorruptRecordException expected) {
            return;
        }
        byte[] written = QueueRecordCodec.encode(record);
        checkRoundTrip(record, written);
    }

    @FuzzTest(maxDuration = "60s")
    void hostileRecordRoundTrip(FuzzedDataProvider data) {
        QueueRecord record = HostileRecords.record(data);
        byte[] written = QueueRecordCodec.encode(record);
        long lines = new String(written, StandardCharsets.UTF_8).chars().filter(c -> c == '\n').count();
        if (lines != FIXED_LINES + record.recipients().size()) {
            throw new IllegalStateException(lines + " lines for " + record.recipients().size() + " recipients:\n"
                    + new String(written, StandardCharsets.UTF_8));
        }
        checkRoundTrip(record, written);
    }

    private static void checkRoundTrip(QueueRecord record, byte[] written) {
        QueueRecord read;
        try {
            read = QueueRecordCodec.decode(written);
        } catch (CorruptRecordException e) {
            throw new IllegalStateException("own output refused: " + e.getMessage() + "\n"
                    + new String(written, StandardCharsets.UTF_8), e);
        }
        if (!read.equals(record)) {
            throw new IllegalStateException("read back differs:\n" + record + "\n" + read);
        }
        if (!Arrays.equals(QueueRecordCodec.encode(read), written)) {
            throw new IllegalStateException("second write differs");
        }
    }
}
