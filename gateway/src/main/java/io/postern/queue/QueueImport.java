package io.postern.queue;

import io.postern.observability.LogLine;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves every complete message of a stopped node's queue directory into this node's (stopped)
 * queue, each exactly once, surviving {@code kill -9} at any step (docs/operate.md, "Hand-over").
 * Both directories must be on one file system: per message, the content is hard-linked into the
 * target and made durable, then the envelope is renamed from the source's {@code messages/} into
 * the target's. That one rename is the commit point: before it the message belongs to the source
 * only (a linked content without envelope is an orphan the target's recovery removes), after it to
 * the target only. A source content left without envelope by an interrupted run is removed when it
 * is the very file the target holds, and reported otherwise.
 *
 * <p>Both locks are held for the whole run: a source that a live node holds, or a target whose node
 * runs, is refused. Ids are kept (an agent that names its output by queue id recognises a message
 * it already delivered); a message whose id is taken in the target is left and reported, as are
 * envelopes that do not parse or whose content is missing or of the wrong size, content without
 * envelope, and files in {@code tmp/} (never acknowledged). Not thread-safe: one run at a time.
 */
public final class QueueImport {
    private static final Logger LOG = LoggerFactory.getLogger(QueueImport.class);

    /** Called before each durable step; the crash test's seam. The production value does nothing. */
    @FunctionalInterface
    public interface Steps {
        Steps NONE = (step, id) -> {
        };

        void before(String step, String queueId);
    }

    /** A file not imported, and why. */
    public record LeftBehind(Path file, String reason) {
    }

    /** What one run did: messages moved, and files left in the source. */
    public record Report(int imported, List<LeftBehind> leftBehind) {
        public Report {
            leftBehind = List.copyOf(leftBehind);
        }

        public String text() {
            StringBuilder out = new StringBuilder();
            out.append("imported ").append(imported).append(imported == 1 ? " message\n" : " messages\n");
            for (LeftBehind left : leftBehind) {
                out.append("left ").append(left.file()).append(": ").append(left.reason()).append('\n');
            }
            return out.toString();
        }
    }

    /** The import cannot start: not a queue directory, in use, or on another file system. */
    public static final class RefusedException extends IOException {
        RefusedException(String message) {
            super(message);
        }
    }

    private final QueueFiles source;
    private final QueueFiles target;
    private final Steps steps;
    private final List<LeftBehind> left = new ArrayList<>();
    private int imported;

    private QueueImport(QueueFiles source, QueueFiles target, Steps steps) {
        this.source = source;
        this.target = target;
        this.steps = steps;
    }

    public static Report run(Path sourceDir, Path targetDir) throws IOException {
        return run(sourceDir, targetDir, Steps.NONE);
    }

    public static Report run(Path sourceDir, Path targetDir, Steps steps) throws IOException {
        if (!Files.isDirectory(sourceDir.resolve("messages"))) {
            throw new RefusedException(sourceDir + " is not a queue directory (no messages/)");
        }
        QueueFiles source = QueueFiles.open(sourceDir);
        QueueFiles target = QueueFiles.open(targetDir);
        if (Files.isSameFile(source.root, target.root)) {
            throw new RefusedException("the source is the local queue itself");
        }
        if (!Files.getFileStore(source.messages).equals(Files.getFileStore(target.messages))) {
            throw new RefusedException(sourceDir + " is on another file system than " + targetDir
                    + ": a move across file systems cannot be one atomic step; let a node deliver it instead"
                    + " (postern queue drain --queue-dir)");
        }
        // Both locks are held until the run ends: no node may open either queue meanwhile.
        try (FileChannel _ = source.tryLock().orElseThrow(() -> new RefusedException(
                sourceDir + " is in use by a running node (its lock is held)"));
             FileChannel _ = target.tryLock().orElseThrow(() -> new RefusedException(
                     targetDir + " is in use by a running node: stop it first, or let it deliver the directory"
                             + " (postern queue drain --queue-dir)"))) {
            QueueImport run = new QueueImport(source, target, steps);
            run.finishInterrupted();
            run.moveAll();
            run.reportTmp();
            syncDirectory(source.messages);
            Report report = new Report(run.imported, run.left);
            LogLine.event("queue-imported").add("from", source.root).add("into", target.root)
                    .add("messages", report.imported()).add("left", report.leftBehind().size()).info(LOG);
            return report;
        }
    }

    /** Source contents without envelope: the tail of an interrupted run when the target holds the same file. */
    private void finishInterrupted() throws IOException {
        for (long id : ids(source.messages, QueueFiles.CONTENT)) {
            if (Files.exists(source.envelope(id))) {
                continue;
            }
            Path content = source.content(id);
            if (Files.exists(target.content(id)) && Files.isSameFile(content, target.content(id))) {
                steps.before("cleanup", QueueId.format(id));
                Files.deleteIfExists(content);
            } else {
                left.add(new LeftBehind(content, "content without envelope: never acknowledged, or its envelope"
                        + " was imported and already delivered"));
            }
        }
    }

    private void moveAll() throws IOException {
        for (long id : ids(source.messages, QueueFiles.ENVELOPE)) {
            move(id);
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(source.messages)) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                boolean queueFile = name.length() == QueueId.LENGTH + 4
                        && (name.endsWith(QueueFiles.ENVELOPE) || name.endsWith(QueueFiles.CONTENT))
                        && QueueId.isValid(name.substring(0, QueueId.LENGTH));
                if (!queueFile) {
                    left.add(new LeftBehind(file, "not a queue file"));
                }
            }
        }
    }

    private void move(long id) throws IOException {
        String queueId = QueueId.format(id);
        Path envelope = source.envelope(id);
        Path content = source.content(id);
        try {
            QueueRecord record = QueueRecordCodec.decode(Files.readAllBytes(envelope));
            if (record.id() != id) {
                throw new CorruptRecordException("envelope names another id");
            }
            if (!Files.exists(content) || Files.size(content) != record.contentSize()) {
                throw new CorruptRecordException("content missing or of the wrong size");
            }
        } catch (CorruptRecordException e) {
            left.add(new LeftBehind(envelope, "damaged: " + e.getMessage()));
            return;
        } catch (NoSuchFileException e) {
            return; // gone since the listing
        }
        Path targetContent = target.content(id);
        Path targetEnvelope = target.envelope(id);
        boolean linked = Files.exists(targetContent) && Files.isSameFile(content, targetContent);
        if (Files.exists(targetEnvelope) || Files.exists(targetContent) && !linked) {
            left.add(new LeftBehind(envelope, "id " + queueId + " is in use in the local queue"));
            return;
        }
        if (!linked) {
            steps.before("link", queueId);
            Files.createLink(targetContent, content);
            syncDirectory(target.messages);
        }
        steps.before("commit", queueId);
        // The commit point: one rename takes the message out of the source and into the target.
        Files.move(envelope, targetEnvelope, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(target.messages);
        syncDirectory(source.messages);
        steps.before("cleanup", queueId);
        Files.deleteIfExists(content);
        imported++;
    }

    private void reportTmp() throws IOException {
        for (Path dir : List.of(source.tmp, source.corrupt)) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                for (Path file : stream) {
                    left.add(new LeftBehind(file, dir.equals(source.tmp) ? "temporary file: never acknowledged"
                            : "quarantined as damaged by its node"));
                }
            }
        }
    }

    /** Ids of the well-named files with this suffix, oldest first, listed before anything moves. */
    private static TreeSet<Long> ids(Path dir, String suffix) throws IOException {
        TreeSet<Long> ids = new TreeSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + suffix)) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (name.length() == QueueId.LENGTH + suffix.length()) {
                    long id = QueueId.parse(name.substring(0, QueueId.LENGTH));
                    if (id >= 0) {
                        ids.add(id);
                    }
                }
            }
        }
        return ids;
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
