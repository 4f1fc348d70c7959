package io.postern.delivery;

import io.postern.config.FileAccess;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.directory.Recipient;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.mailbox.SpoolLayout;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MDA: delivers one message to one mailbox: spool path through {@link SpoolLayout}, a
 * {@code Delivered-To} loop check ({@link DeliveredToLoop}), quota, then {@link MaildirWriter} or {@link MboxWriter} by {@code spool.format}. Blocking (writes, fsync):
 * callers run it on their own I/O threads; {@link #deliverAsync} returns once the copy is written, without
 * waiting for a shared sync that another thread runs. Immutable, thread-safe.
 *
 * <p>Metrics: {@code postern.delivery.local} (counter, tag {@code outcome}),
 * {@code postern.delivery.local.latency} (timer) and {@code postern.delivery.local.duplicates.avoided}
 * (a repeated queue delivery found already in the Maildir and not written again).
 */
public final class LocalDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDelivery.class);
    /** What every message this MDA writes begins with ({@link #headers}). */
    private static final byte[] HEAD = "Return-Path: <".getBytes(StandardCharsets.US_ASCII);

    private final SpoolLayout layout;
    private final SpoolFormat format;
    private final MaildirWriter maildir;
    private final MboxWriter mbox;
    private final MeterRegistry registry;
    private final Timer latency;

    public LocalDelivery(SpoolConfig spool, String hostname, MeterRegistry registry) {
        this(new SpoolLayout(spool), spool.format(), new MaildirWriter(hostname, spool.access(),
                        spool.format() == SpoolFormat.MAILDIR ? MaildirDurability.forSpool(spool) : MaildirDurability.PER_FILE),
                new MboxWriter(spool.lockTimeout(), spool.staleLockAge(), spool.access()), registry);
    }

    LocalDelivery(SpoolLayout layout, SpoolFormat format, MaildirWriter maildir, MboxWriter mbox,
                  MeterRegistry registry) {
        this.layout = layout;
        this.format = format;
        this.maildir = maildir;
        this.mbox = mbox;
        this.registry = registry;
        this.latency = Timer.builder("postern.delivery.local.latency")
                .description("time to write, fsync and rename one message into one spool")
                .register(registry);
    }

    /**
     * Writes {@code content} into {@code mailbox}'s spool with {@code Return-Path} and
     * {@code Delivered-To} headers prepended. Never throws for a delivery problem.
     */
    public LocalOutcome deliver(Optional<MailAddress> returnPath, MessageContent content, Recipient.Mailbox mailbox,
                                MailAddress deliveredTo) {
        return deliver(returnPath, content, mailbox, deliveredTo, Optional.empty());
    }

    /**
     * As above, for a message of the durable queue: with a {@code key}, a Maildir delivery is
     * named by (queue id, mailbox) and, when the key says the message may have been delivered
     * before, an existing copy is answered as delivered without writing another; an mbox append
     * is journalled first for the same purpose ({@link MboxWriter#deliverOnce}).
     */
    public LocalOutcome deliver(Optional<MailAddress> returnPath, MessageContent content, Recipient.Mailbox mailbox,
                                MailAddress deliveredTo, Optional<DeliveryKey> key) {
        return deliverAsync(returnPath, content, mailbox, deliveredTo, key).join();
    }

    /**
     * As {@link #deliver}, returning once the message is written: the future completes with the
     * outcome when the copy is durable (for a Maildir on a file system with shared syncs, after the
     * next sync, run by whichever delivery thread leads it); it never completes exceptionally.
     */
    public CompletableFuture<LocalOutcome> deliverAsync(Optional<MailAddress> returnPath, MessageContent content,
                                                        Recipient.Mailbox mailbox, MailAddress deliveredTo,
                                                        Optional<DeliveryKey> key) {
        long started = System.nanoTime();
        return attempt(returnPath, content, mailbox, deliveredTo, key).thenApply(outcome -> {
            latency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            registry.counter("postern.delivery.local", "outcome", switch (outcome) {
                case LocalOutcome.Delivered d -> "delivered";
                case LocalOutcome.TempFailed t -> "deferred";
                case LocalOutcome.PermFailed p -> "failed";
            }).increment();
            return outcome;
        });
    }

    private CompletableFuture<LocalOutcome> attempt(Optional<MailAddress> returnPath, MessageContent content,
                                                    Recipient.Mailbox mailbox, MailAddress deliveredTo,
                                                    Optional<DeliveryKey> key) {
        if (mailbox.disabled()) {
            return done(new LocalOutcome.PermFailed(EnhancedStatus.MAILBOX_DISABLED, "mailbox disabled"));
        }
        Path spool;
        try {
            spool = layout.spoolOf(mailbox);
        } catch (SpoolLayout.UnsafeSpoolPath e) {
            LogLine.event("unsafe-spool-path").add("mailbox", mailbox.address()).add("dn", mailbox.dn())
                    .add("problem", e.getMessage()).warn(LOG);
            return done(new LocalOutcome.PermFailed(EnhancedStatus.SPOOL_REFUSED, "mailbox path refused"));
        }
        byte[] prefix = headers(returnPath, deliveredTo);
        long size = prefix.length + content.size();
        Optional<String> stem = format == SpoolFormat.MAILDIR
                ? key.map(k -> k.stem(mailbox.address())) : Optional.empty();
        try {
            if (stem.isPresent() && key.get().repeat()) {
                // Before the quota and loop checks: a copy already there is the answer, whatever the mailbox's state now.
                Optional<Path> found = maildir.find(spool, stem.get(), size, key.get().anyHost());
                if (found.isPresent() && !MaildirWriter.holds(found.get(), HEAD, content)) {
                    // A torn copy (a crash between link and sync): never acknowledged, so written again.
                    LogLine.event("torn-copy-replaced").add("queue_id", key.get().queueId())
                            .add("mailbox", mailbox.address()).add("file", found.get().getFileName()).warn(LOG);
                    Files.deleteIfExists(found.get());
                    found = Optional.empty();
                }
                if (found.isPresent()) {
                    LogLine.event("already-delivered").add("queue_id", key.get().queueId())
                            .add("mailbox", mailbox.address()).add("file", found.get().getFileName()).info(LOG);
                    registry.counter("postern.delivery.local.duplicates.avoided").increment();
                    return done(new LocalOutcome.Delivered(found.get()));
                }
            }
            if (DeliveredToLoop.seen(content, deliveredTo)) {
                LogLine.event("delivered-to-loop").add("mailbox", deliveredTo).warn(LOG);
                return done(loop(deliveredTo));
            }
            Optional<LocalOutcome.PermFailed> full = overQuota(mailbox, spool, size);
            if (full.isPresent()) {
                return done(full.get());
            }
            return switch (format) {
                case MAILDIR -> (stem.isPresent() ? maildir.deliverAsAsync(spool, stem.get(), prefix, content)
                        : maildir.deliverAsync(spool, prefix, content)).handle((file, failure) -> {
                            if (failure != null) {
                                return writeFailed(mailbox, failure instanceof CompletionException wrapped
                                        && wrapped.getCause() != null ? wrapped.getCause() : failure);
                            }
                            try {
                                MaildirQuota.record(spool, size); // the file's size, as its name says: no stat
                            } catch (IOException | RuntimeException e) {
                                return writeFailed(mailbox, e);
                            }
                            return new LocalOutcome.Delivered(file);
                        });
                case MBOX -> {
                    if (key.isPresent()) {
                        String mboxKey = key.get().stem(mailbox.address());
                        if (!mbox.deliverOnce(spool, returnPath, prefix, content, mboxKey, key.get().repeat())) {
                            LogLine.event("already-delivered").add("queue_id", key.get().queueId())
                                    .add("mailbox", mailbox.address()).add("file", spool.getFileName()).info(LOG);
                            registry.counter("postern.delivery.local.duplicates.avoided").increment();
                        }
                    } else {
                        mbox.deliver(spool, returnPath, prefix, content);
                    }
                    yield done(new LocalOutcome.Delivered(spool));
                }
            };
        } catch (MboxWriter.LockTimeout e) {
            LogLine.event("mbox-locked").add("mailbox", mailbox.address()).add("problem", e.getMessage()).warn(LOG);
            return done(new LocalOutcome.TempFailed(EnhancedStatus.MAILBOX_BUSY, "mailbox locked, try again later"));
        } catch (IOException | RuntimeException e) {
            return done(writeFailed(mailbox, e));
        }
    }

    private static CompletableFuture<LocalOutcome> done(LocalOutcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }

    private static LocalOutcome writeFailed(Recipient.Mailbox mailbox, Throwable e) {
        LogLine.event("spool-write-failed").add("mailbox", mailbox.address())
                .add("error", e.getClass().getSimpleName() + ": " + e.getMessage()).warn(LOG);
        return new LocalOutcome.TempFailed(EnhancedStatus.SYSTEM_TEMPORARY, "spool write failed");
    }

    /**
     * The permanent failure {@link #deliver} would certainly answer for a message of
     * {@code contentSize} bytes whose header carries {@code deliveredToSeen} (lower-case
     * addresses), known before anything is written: a {@code Delivered-To} loop or a full mailbox.
     * Empty when delivery may succeed, or when it cannot be told (unsafe path, I/O error): the
     * same checks as {@link #deliver}, so the front end refuses exactly what would bounce.
     */
    public Optional<LocalOutcome.PermFailed> foresee(Optional<MailAddress> returnPath, Recipient.Mailbox mailbox,
                                                     MailAddress deliveredTo, long contentSize,
                                                     java.util.Set<String> deliveredToSeen) {
        if (DeliveredToLoop.seen(deliveredToSeen, deliveredTo)) {
            return Optional.of(loop(deliveredTo));
        }
        if (mailbox.quotaBytes().isEmpty()) {
            return Optional.empty();
        }
        try {
            return overQuota(mailbox, layout.spoolOf(mailbox), headers(returnPath, deliveredTo).length + contentSize);
        } catch (SpoolLayout.UnsafeSpoolPath | IOException | RuntimeException e) {
            return Optional.empty(); // delivery will say what is wrong, and retry or bounce as it does
        }
    }

    /** Does a message whose Delivered-To fields are {@code deliveredToSeen} (lower-case) loop at {@code deliveredTo}? */
    public static boolean loops(java.util.Set<String> deliveredToSeen, MailAddress deliveredTo) {
        return DeliveredToLoop.seen(deliveredToSeen, deliveredTo);
    }

    private static LocalOutcome.PermFailed loop(MailAddress deliveredTo) {
        return new LocalOutcome.PermFailed(EnhancedStatus.LOOP, "mail forwarding loop for " + deliveredTo);
    }

    /** 5.2.2 when {@code size} more bytes do not fit under the mailbox's quota. */
    private Optional<LocalOutcome.PermFailed> overQuota(Recipient.Mailbox mailbox, Path spool, long size)
            throws IOException {
        if (mailbox.quotaBytes().isEmpty()) {
            return Optional.empty();
        }
        long quota = mailbox.quotaBytes().getAsLong();
        long used = format == SpoolFormat.MAILDIR ? MaildirQuota.usage(spool, quota, layout.access())
                : (Files.isRegularFile(spool) ? Files.size(spool) : 0);
        if (used + size > quota) {
            LogLine.event("over-quota").add("mailbox", mailbox.address()).add("used", used).add("size", size)
                    .add("quota", quota).info(LOG);
            return Optional.of(new LocalOutcome.PermFailed(EnhancedStatus.MAILBOX_FULL, "mailbox full"));
        }
        return Optional.empty();
    }

    /** The trace headers an MDA adds (RFC 5321 4.4 Return-Path; Delivered-To as Postfix and Dovecot write it). */
    static byte[] headers(Optional<MailAddress> returnPath, MailAddress deliveredTo) {
        String text = "Return-Path: <" + returnPath.map(MailAddress::toString).orElse("") + ">\r\n"
                + "Delivered-To: " + deliveredTo + "\r\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
