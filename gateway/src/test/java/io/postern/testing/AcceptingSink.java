package io.postern.testing;

import io.postern.mail.Acceptance;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A sink for session tests: discards every message and answers it queued as {@code Q1} at once. */
public final class AcceptingSink {
    private AcceptingSink() {
    }

    public static MessageSink queuedAsQ1() {
        return envelope -> new IncomingMessage() {
            @Override
            public void write(byte[] bytes, int offset, int length) {
            }

            @Override
            public CompletableFuture<Acceptance> commit() {
                return CompletableFuture.completedFuture(new Acceptance("Q1", List.of(Acceptance.QUEUED)));
            }

            @Override
            public void abort() {
            }
        };
    }
}
