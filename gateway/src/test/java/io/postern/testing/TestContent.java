package io.postern.testing;

import io.postern.mail.MemoryContent;
import java.nio.charset.StandardCharsets;

/** Message content for tests: the production {@link MemoryContent}, made from text. */
public final class TestContent {
    private TestContent() {
    }

    public static MemoryContent of(String text) {
        return new MemoryContent(text.getBytes(StandardCharsets.UTF_8));
    }
}
