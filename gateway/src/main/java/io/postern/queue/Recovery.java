package io.postern.queue;

import io.postern.observability.LogLine;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up scan: removes content that never reached its commit point (never acknowledged),
 * quarantines damaged envelopes, and hands every message an earlier process left to the schedule.
 * Ids from this run are skipped: they are tracked as they are committed.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);

    private final QueueFiles files;
    private final QueueStore store;
    private final DeliveryScheduler scheduler;
    private final long firstNewId;
    private final CompletableFuture<Integer> recovered;

    Recovery(QueueFiles files, QueueStore store, DeliveryScheduler scheduler, long firstNewId,
             CompletableFuture<Integer> recovered) {
        this.files = files;
        this.store = store;
        this.scheduler = scheduler;
        this.firstNewId = firstNewId;
        this.recovered = recovered;
    }

    void run() {
        AtomicInteger found = new AtomicInteger();
        try {
            files.forEachContent(id -> {
                if (id < firstNewId && !Files.exists(files.envelope(id))) {
                    // Content without envelope: the commit never reached its commit point, so it was never acknowledged.
                    QueueSink.deleteQuietly(files.content(id));
                    LOG.info("event=orphan-removed id={}", QueueId.format(id));
                }
            });
            files.forEachEnvelope(id -> {
                if (id >= firstNewId) {
                    return;
                }
                try {
                    Optional<QueueRecord> record = store.read(id);
                    if (record.isEmpty()) {
                        return;
                    }
                    if (!Files.exists(files.content(id)) || Files.size(files.content(id)) != record.get().contentSize()) {
                        throw new CorruptRecordException("content missing or of the wrong size");
                    }
                    scheduler.track(record.get());
                    found.incrementAndGet();
                } catch (CorruptRecordException e) {
                    LogLine.event("corrupt").add("id", QueueId.format(id)).add("problem", e.getMessage())
                            .add("action", "moved-to-corrupt").error(LOG);
                    store.quarantine(id);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            LogLine.event("queue-recovered").add("messages", found.get()).add("directory", files.root).info(LOG);
            recovered.complete(found.get());
        } catch (IOException | RuntimeException e) {
            LogLine.event("queue-recovery-failed").add("error", e.toString()).error(LOG);
            recovered.completeExceptionally(e);
        }
    }
}
