package io.postern.delivery;

import io.postern.mail.MessageContent;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Test content held in memory. */
record BytesContent(byte[] bytes) implements MessageContent {
    static BytesContent of(String text) {
        return new BytesContent(text.getBytes(StandardCharsets.UTF_8));
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
