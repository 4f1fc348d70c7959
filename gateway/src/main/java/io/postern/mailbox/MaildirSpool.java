package io.postern.mailbox;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A Maildir ({@code new/}, {@code cur/}; {@code tmp/} is ignored) listed from file names only:
 * sizes from {@code ,W=}/{@code ,S=} or the file's size, never its content. Mutable (a
 * retrieved message's path changes when it moves to {@code cur/}), one session.
 */
final class MaildirSpool implements Spool {
    private record Entry(MaildirName name, SpoolMessage message, Path path) {
    }

    private final Path root;
    private final List<SpoolMessage> messages;
    private final Path[] paths;
    private final MaildirName[] names;

    private final FileAccess access;

    private MaildirSpool(Path root, List<Entry> entries, FileAccess access) {
        this.root = root;
        this.access = access;
        this.messages = entries.stream().map(Entry::message).toList();
        this.paths = entries.stream().map(Entry::path).toArray(Path[]::new);
        this.names = entries.stream().map(Entry::name).toArray(MaildirName[]::new);
    }

    static MaildirSpool scan(Path root) throws IOException {
        return scan(root, FileAccess.OWNER_ONLY);
    }

    /** Lists the Maildir; folders it creates later (cur/) get {@code access}. */
    static MaildirSpool scan(Path root, FileAccess access) throws IOException {
        List<Entry> entries = new ArrayList<>();
        Set<String> uids = new HashSet<>();
        for (String sub : new String[] {"cur", "new"}) {
            Path folder = root.resolve(sub);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
                for (Path file : files) {
                    String fileName = file.getFileName().toString();
                    if (fileName.startsWith(".")) {
                        continue;
                    }
                    MaildirName name = MaildirName.parse(fileName);
                    String uid = Uids.of(name.base());
                    OptionalLong declared = name.declaredSize();
                    long size;
                    if (declared.isPresent()) {
                        size = declared.getAsLong();
                    } else {
                        BasicFileAttributes attributes;
                        try {
                            attributes = Files.readAttributes(file, BasicFileAttributes.class);
                        } catch (NoSuchFileException gone) {
                            continue;
                        }
                        if (!attributes.isRegularFile()) {
                            continue;
                        }
                        size = attributes.size();
                    }
                    if (uids.add(uid)) {
                        entries.add(new Entry(name, new SpoolMessage(uid, size), file));
                    }
                }
            }
        }
        entries.sort(Comparator.comparingLong((Entry e) -> e.name().timestamp()).thenComparing(e -> e.name().base()));
        return new MaildirSpool(root, entries, access);
    }

    @Override
    public List<SpoolMessage> messages() {
        return messages;
    }

    @Override
    public InputStream open(int index) throws IOException {
        try {
            return new CanonicalMessageStream(Files.newInputStream(paths[index]), false);
        } catch (NoSuchFileException e) {
            // Another agent (an IMAP server) may have renamed it to change flags: find it by its base.
            Path found = relocate(index).orElseThrow(() -> e);
            return new CanonicalMessageStream(Files.newInputStream(found), false);
        }
    }

    @Override
    public void markSeen(int index) throws IOException {
        if (names[index].seen() && paths[index].getParent().getFileName().toString().equals("cur")) {
            return;
        }
        Path target = root.resolve("cur").resolve(names[index].seenName());
        access.createDirectories(target.getParent());
        try {
            Files.move(paths[index], target, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            if (relocate(index).isEmpty()) {
                throw e;
            }
            Files.move(paths[index], target, StandardCopyOption.ATOMIC_MOVE);
        }
        paths[index] = target;
        names[index] = MaildirName.parse(target.getFileName().toString());
    }

    @Override
    public UpdateResult delete(Set<Integer> indexes) {
        int deleted = 0;
        int failed = 0;
        for (int index : indexes.stream().sorted().toList()) {
            try {
                if (!Files.deleteIfExists(paths[index]) && relocate(index).isPresent()) {
                    Files.delete(paths[index]);
                }
                deleted++;
            } catch (IOException e) {
                failed++;
            }
        }
        return failed == 0 ? new UpdateResult.Done(deleted) : new UpdateResult.Partial(deleted, failed);
    }

    /** Looks for the message under another name with the same base; updates its path when found. */
    private java.util.Optional<Path> relocate(int index) throws IOException {
        String prefix = names[index].base();
        for (String sub : new String[] {"cur", "new"}) {
            Path folder = root.resolve(sub);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder,
                    p -> p.getFileName().toString().startsWith(prefix))) {
                for (Path file : files) {
                    MaildirName name = MaildirName.parse(file.getFileName().toString());
                    if (name.base().equals(prefix)) {
                        paths[index] = file;
                        names[index] = name;
                        return java.util.Optional.of(file);
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }
}
