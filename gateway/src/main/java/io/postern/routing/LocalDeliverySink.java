package io.postern.routing;

import io.postern.config.DeliveryConfig;
import io.postern.config.FileAccess;
import io.postern.delivery.FileContent;
import io.postern.mail.MemoryContent;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageContent;
import io.postern.mail.MessageSink;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.SinkException;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code delivery} role's LMTP sink: content is kept in memory up to
 * {@code delivery.memoryThreshold} and goes to a temporary file beyond (memory stays bounded
 * whatever the size; small messages cost no extra file), and {@link IncomingMessage#commit()} delivers it through the
 * routing agent and answers one outcome per envelope recipient, in envelope order (RFC 2033: one
 * reply per recipient). A full mailbox fails only its own recipient (552 5.2.2). Thread-safe;
 * each {@link IncomingMessage} belongs to one session. {@link #close()} stops its thread.
 */
public final class LocalDeliverySink implements MessageSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDeliverySink.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final EnhancedStatus LOCAL_ERROR = new EnhancedStatus(4, 3, 0);

    private final DeliveryAgent agent;
    private final Path tempDirectory;
    private final long memoryThreshold;
    private final ExecutorService files;

    public LocalDeliverySink(DeliveryAgent agent, DeliveryConfig config) {
        this.agent = agent;
        this.tempDirectory = config.tempDirectory();
        this.memoryThreshold = config.memoryThreshold();
        this.files = Threads.virtual("lmtp-sink");
    }

    @Override
    public IncomingMessage open(Envelope envelope) {
        return new Incoming(envelope);
    }

    /** One message being received: in memory up to the threshold, then in a temporary file. Mutable, one session. */
    private final class Incoming implements IncomingMessage {
        private final Envelope envelope;
        private ByteArrayOutputStream memory = new ByteArrayOutputStream();
        private Path file;
        private OutputStream out;
        private long size;
        private boolean done;

        Incoming(Envelope envelope) {
            this.envelope = envelope;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws SinkException {
            if (done) {
                throw new SinkException(EnhancedStatus.SYSTEM_TEMPORARY, "message already finished");
            }
            try {
                if (memory != null && size + length > memoryThreshold) {
                    spill();
                }
                if (memory != null) {
                    memory.write(bytes, offset, length);
                } else {
                    out.write(bytes, offset, length);
                }
                size += length;
            } catch (IOException e) {
                LogLine.event("lmtp-spool-failed").add("error", e.getMessage()).warn(LOG);
                abort();
                throw new SinkException(EnhancedStatus.STORAGE_TEMPORARY, "cannot store the message now", e);
            }
        }

        /** Moves what is in memory to a temporary file; the rest of the message goes there too. */
        private void spill() throws IOException {
            // Whole messages: owner-only like the queue (createTempFile already makes the file 0600).
            FileAccess.OWNER_ONLY.createDirectories(tempDirectory);
            file = Files.createTempFile(tempDirectory, "lmtp-", ".msg");
            out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
            memory.writeTo(out);
            memory = null;
        }

        @Override
        public CompletableFuture<Acceptance> commit() {
            if (done) {
                return CompletableFuture.failedFuture(new IllegalStateException("message already finished"));
            }
            done = true;
            String queueId = newId();
            CompletableFuture<MessageContent> content = memory != null
                    ? CompletableFuture.completedFuture(new MemoryContent(memory.toByteArray()))
                    : CompletableFuture.supplyAsync(() -> {
                        try {
                            out.close();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        return new FileContent(file, size);
                    }, files);
            memory = null;
            return content
                    .thenCompose(c -> agent.deliver(new QueuedMessage(queueId, envelope, c), envelope.recipients()))
                    .thenApply(results -> {
                        logDelivered(queueId, results);
                        return acceptance(queueId, envelope.recipients(), results);
                    })
                    .exceptionally(e -> {
                        LogLine.event("lmtp-delivery-failed").add("id", queueId).add("error", e.toString()).warn(LOG);
                        return allTempFailed(queueId, envelope.recipients());
                    })
                    .whenCompleteAsync((acceptance, e) -> deleteTemporary(), files);
        }

        @Override
        public void abort() {
            done = true;
            memory = null;
            if (out != null) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the file is deleted next
                }
            }
            deleteTemporary();
        }

        private void deleteTemporary() {
            if (file != null) {
                delete(file);
            }
        }
    }

    /**
     * One {@code event=lmtp-delivered} line per recipient written into its mailbox: this node has no
     * queue, so no {@code event=delivery} line names them, and routing logs delivered recipients at
     * DEBUG only (refused ones have their {@code event=routed} and {@code event=rejected} lines).
     */
    private static void logDelivered(String queueId, List<DeliveryResult> results) {
        for (DeliveryResult result : results) {
            if (result.isDelivered()) {
                LogLine.event("lmtp-delivered").add("queue_id", queueId).add("rcpt", result.recipient().address())
                        .add("detail", result.diagnostic()).info(LOG);
            }
        }
    }

    static Acceptance acceptance(String queueId, List<EnvelopeRecipient> recipients, List<DeliveryResult> results) {
        Map<EnvelopeRecipient, DeliveryResult> byRecipient = new HashMap<>();
        results.forEach(r -> byRecipient.putIfAbsent(r.recipient(), r));
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (EnvelopeRecipient recipient : recipients) {
            DeliveryResult result = byRecipient.get(recipient);
            outcomes.add(result == null ? RecipientOutcome.deferred(LOCAL_ERROR, "no delivery result") : outcome(result));
        }
        return new Acceptance(queueId, outcomes);
    }

    /**
     * A delivery result as an LMTP reply: 452 for a full mailbox or storage, 451 for other
     * deferrals; 552 for storage, 550 for the mailbox, 554 for other failures. A status of the
     * wrong class (a deferral that says {@code 5.x.x}) keeps its subject and detail in the right class.
     */
    static RecipientOutcome outcome(DeliveryResult result) {
        return switch (result.outcome()) {
            case RecipientOutcome.Succeeded s -> Acceptance.DELIVERED;
            case RecipientOutcome.Deferred d -> {
                EnhancedStatus code = d.status();
                yield new RecipientOutcome.Deferred(
                        code.subject() == 2 && code.detail() == 2 || code.subject() == 3 && code.detail() == 1 ? 452 : 451,
                        code, result.diagnostic());
            }
            case RecipientOutcome.Failed f -> new RecipientOutcome.Failed(replyCode(f.status()), f.status(),
                    result.diagnostic());
        };
    }

    static int replyCode(EnhancedStatus status) {
        if (status.equals(EnhancedStatus.MAILBOX_FULL) || status.equals(EnhancedStatus.MESSAGE_TOO_BIG)) {
            return 552;
        }
        int subject = status.subject();
        if (subject == 1 || subject == 2 || subject == 7) {
            return 550;
        }
        return 554;
    }

    private static Acceptance allTempFailed(String queueId, List<EnvelopeRecipient> recipients) {
        return new Acceptance(queueId, recipients.stream()
                .map(r -> (RecipientOutcome) RecipientOutcome.deferred(LOCAL_ERROR, "local delivery failed"))
                .toList());
    }

    private static String newId() {
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        return "L" + HexFormat.of().formatHex(id).toUpperCase(java.util.Locale.ROOT);
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LogLine.event("lmtp-temp-delete-failed").add("file", file).add("error", e.getMessage()).warn(LOG);
        }
    }

    @Override
    public void close() {
        files.shutdown();
        try {
            files.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
