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
    private static final int FIXED_LINES = 25;

    @DictionaryEntries({"rcpt=", ";notify=", ";orcpt=", ";orcpt-present=true", ";state=", ";code=", ";remote=", ";reported=", ";diag=", "postern-queue=1\\x0A", "end=\\x0A", "PENDING", "FAILED", "DELIVERED", "%0a", "-present=true", "T00:00:00Z"})
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

    private static String firstDifference(String written, String read) {
        int i = 0;
        while (i < Math.min(written.length(), read.length()) && written.charAt(i) == read.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 60);
        return "wrote ..." + escaped(written.substring(from, Math.min(written.length(), i + 40)))
                + "... read ..." + escaped(read.substring(from, Math.min(read.length(), i + 40))) + "...";
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return out.toString();
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
            throw new IllegalStateException("read back differs: " + firstDifference(record.toString(), read.toString()));
        }
        if (!Arrays.equals(QueueRecordCodec.encode(read), written)) {
            throw new IllegalStateException("second write differs");
        }
    }
}
