package io.postern.delivery;

import io.postern.mail.MessageContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Message content stored in one file, read as often as needed. Immutable. */
public record FileContent(Path file, long size) implements MessageContent {
    public FileContent {
        Objects.requireNonNull(file);
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
    }

    public static FileContent of(Path file) throws IOException {
        return new FileContent(file, Files.size(file));
    }

    @Override
    public InputStream open() throws IOException {
        return Files.newInputStream(file);
    }
}
