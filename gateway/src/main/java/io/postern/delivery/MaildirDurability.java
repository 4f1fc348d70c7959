package io.postern.delivery;

import io.postern.config.SpoolConfig;
import io.postern.config.SpoolSync;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link MaildirWriter} makes a delivery durable before it reports success ({@code spool.sync}):
 * per file (fsync the message, fsync {@code new/}) or through the {@link SyncPoint} of the spool's
 * file system (no per-file fsync; one {@code syncfs(2)} after the link, shared by every delivery
 * waiting then). The shared sync covers only folders on the file system it was opened on (same
 * device number); a mailbox on another mount below the spool root keeps per-file fsyncs.
 * Immutable, thread-safe.
 */
public final class MaildirDurability {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirDurability.class);

    /**
     * File systems whose {@code syncfs} writes every dirty file and directory of the file system and
     * reports write-back errors (Linux 5.8+), so that one call covers what the per-file fsyncs did.
     * Not here: tmpfs (nothing is durable there; fsync is free, a shared sync would add waiting for
     * nothing), overlay (its syncfs syncs the whole upper file system, a container host's disk
     * shared with every container, and is a no-op on {@code volatile} mounts), NFS and other
     * network file systems (the server decides what a commit covers; per-file fsync is what they
     * are built and tested for), and anything unknown.
     */
    static final Set<String> FULL_SYNCFS = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs");

    /** One sync point per file system (device number) for the whole process. */
    private static final Map<Long, SyncPoint> POINTS = new ConcurrentHashMap<>();

    /** Per-file fsyncs: the mode of a writer made without a spool configuration. */
    public static final MaildirDurability PER_FILE = new MaildirDurability(-1, null);

    private final long device;
    private final SyncPoint point;

    private MaildirDurability(long device, SyncPoint point) {
        this.device = device;
        this.point = point;
    }

    /** The shared sync through {@code point} for folders on {@code device}. */
    static MaildirDurability shared(long device, SyncPoint point) {
        return new MaildirDurability(device, point);
    }

    /** The mode chosen and why, for the start-up log line. */
    record Decision(SpoolSync mode, String reason) {
    }

    /**
     * The mode for {@code wanted} on a file system of {@code type}; {@code unavailable} says why
     * {@code syncfs} cannot be called, when it cannot.
     */
    static Decision decide(SpoolSync wanted, String type, Optional<String> unavailable) {
        String fs = type.toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case FILE -> new Decision(SpoolSync.FILE, "spool.sync is file");
            case FILESYSTEM -> unavailable.isPresent()
                    ? new Decision(SpoolSync.FILE, "spool.sync is filesystem but " + unavailable.get())
                    : new Decision(SpoolSync.FILESYSTEM, "spool.sync is filesystem"
                            + (FULL_SYNCFS.contains(fs) ? "" : " (on " + fs + ", not known to implement syncfs fully)"));
            case AUTO -> {
                if (!FULL_SYNCFS.contains(fs)) {
                    yield new Decision(SpoolSync.FILE, "auto: " + fs + " is not a local file system known to "
                            + "implement syncfs fully (" + String.join(", ", FULL_SYNCFS.stream().sorted().toList()) + ")");
                }
                yield unavailable.isPresent() ? new Decision(SpoolSync.FILE, "auto: " + unavailable.get())
                        : new Decision(SpoolSync.FILESYSTEM, "auto: " + fs + " with syncfs available");
            }
        };
    }

    /** The mode for {@code spool}, logged once ({@code event=spool-sync}). */
    public static MaildirDurability forSpool(SpoolConfig spool) {
        Path probe = spool.root().toAbsolutePath().normalize();
        while (probe.getParent() != null && !Files.exists(probe)) {
            probe = probe.getParent(); // the root may be created by the first delivery: it will be on this file system
        }
        MaildirDurability chosen = PER_FILE;
        Decision decision;
        try {
            String type = Files.getFileStore(probe).type();
            Syncfs.Loaded loaded = spool.sync() == SpoolSync.FILE ? new Syncfs.Loaded.Unavailable("not loaded")
                    : Syncfs.load();
            decision = decide(spool.sync(), type,
                    loaded instanceof Syncfs.Loaded.Unavailable(String why) ? Optional.of(why) : Optional.empty());
            if (decision.mode() == SpoolSync.FILESYSTEM && loaded instanceof Syncfs.Loaded.Available(Syncfs syncfs)) {
                long device = (Long) Files.getAttribute(probe, "unix:dev");
                Path folder = probe;
                SyncPoint point = POINTS.computeIfAbsent(device, d -> open(syncfs, folder));
                chosen = shared(device, point);
            }
        } catch (IOException | UncheckedIOException | UnsupportedOperationException | IllegalArgumentException e) {
            decision = new Decision(SpoolSync.FILE, "cannot set up syncfs on " + probe + ": " + e.getMessage());
        }
        LogLine line = LogLine.event("spool-sync").add("mode", decision.mode().name().toLowerCase(Locale.ROOT))
                .add("root", spool.root()).add("reason", decision.reason());
        if (spool.sync() == SpoolSync.FILESYSTEM && !decision.reason().equals("spool.sync is filesystem")) {
            line.warn(LOG);
        } else {
            line.info(LOG);
        }
        return chosen;
    }

    private static SyncPoint open(Syncfs syncfs, Path folder) {
        try {
            int fd = syncfs.openDirectory(folder); // kept open for the life of the process: one per file system
            return new SyncPoint(() -> syncfs.sync(fd), folder.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether deliveries share syncs (no per-file fsync of the message) on some file system. */
    boolean batched() {
        return point != null;
    }

    /** Whether a folder on {@code device} is covered by the shared sync. */
    boolean covers(long device) {
        return point != null && device == this.device;
    }

    /** The shared sync point; only when {@link #batched}. */
    SyncPoint point() {
        return point;
    }
}
