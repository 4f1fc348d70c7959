package io.postern.mail;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/** Message content held in memory (small LMTP messages, a small message delivered before the reply). Immutable. */
public record MemoryContent(byte[] bytes) implements MessageContent {
    public MemoryContent {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public InputStream open() {
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public long size() {
        return bytes.length;
    }
}
