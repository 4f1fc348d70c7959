package io.postern.queue;

import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What is left in a queue directory, for a drain's progress and its final report: the number of
 * messages, the oldest one and the pending recipients per destination domain. Reads the committed
 * envelopes without taking the lock (a running node renames envelopes atomically, so a read sees
 * the old or the new one; a message removed meanwhile is skipped). Immutable.
 */
public record QueueBacklog(int messages, Optional<Oldest> oldest, Map<String, Integer> perDestination,
                           int unreadable) {
    public QueueBacklog {
        perDestination = Map.copyOf(perDestination);
    }

    /** The oldest message left: its id and arrival. */
    public record Oldest(String queueId, Instant arrival) {
    }

    public static QueueBacklog scan(Path queueDirectory) throws IOException {
        Path messages = queueDirectory.resolve("messages");
        int[] count = {0};
        int[] unreadable = {0};
        long[] oldest = {-1};
        Instant[] oldestArrival = {null};
        Map<String, Integer> destinations = new TreeMap<>();
        if (!Files.isDirectory(messages)) {
            return new QueueBacklog(0, Optional.empty(), Map.of(), 0);
        }
        try (var stream = Files.newDirectoryStream(messages, "*" + QueueFiles.ENVELOPE)) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (name.length() != QueueId.LENGTH + QueueFiles.ENVELOPE.length()
                        || !QueueId.isValid(name.substring(0, QueueId.LENGTH))) {
                    continue;
                }
                QueueRecord record;
                try {
                    record = QueueRecordCodec.decode(Files.readAllBytes(file));
                } catch (NoSuchFileException e) {
                    continue;
                } catch (CorruptRecordException e) {
                    unreadable[0]++;
                    continue;
                }
                count[0]++;
                if (oldest[0] < 0 || record.id() < oldest[0]) {
                    oldest[0] = record.id();
                    oldestArrival[0] = record.arrival();
                }
                for (QueueRecord.RecipientState pending : record.pending()) {
                    destinations.merge(pending.recipient().address().domain().toLowerCase(Locale.ROOT), 1,
                            Integer::sum);
                }
            }
        }
        return new QueueBacklog(count[0], oldest[0] < 0 ? Optional.empty()
                : Optional.of(new Oldest(QueueId.format(oldest[0]), oldestArrival[0])), destinations, unreadable[0]);
    }

    /** {@code key: value} lines, the same from the admin endpoint and the CLI. */
    public String text() {
        StringBuilder out = new StringBuilder();
        out.append("messages: ").append(messages).append('\n');
        oldest.ifPresent(o -> out.append("oldest: ").append(o.queueId()).append(' ').append(o.arrival()).append('\n'));
        perDestination.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.append("destination: ")
                .append(DeliveryReport.clean(e.getKey())).append(' ').append(e.getValue()).append(" recipients\n"));
        if (unreadable > 0) {
            out.append("unreadable: ").append(unreadable).append('\n');
        }
        return out.toString();
    }
}
