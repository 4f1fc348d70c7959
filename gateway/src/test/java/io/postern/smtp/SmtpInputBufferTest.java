package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.Acceptance;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's input buffer is released once, when the session ends, and never again: the
 * allocator recycles a released buffer at once, and on a busy node the next session to start
 * (on any event loop) may get it as its own input before the session that ended has been removed
 * from its pipeline. A second release then frees the new session's input: that session drops its
 * connection at its next command (smtp-source: "lost connection while sending HELO"), or, when a
 * third session gets the buffer meanwhile, two sessions share one buffer and one of them hangs
 * after DATA with its message unanswered. Here the new session opens between the end of the old
 * one ({@code channelInactive}) and its removal from the pipeline ({@code handlerRemoved}), as a
 * session on another event loop may, and the sessions' allocator hands a released buffer to the next
 * allocation every time, as the node's may; everything runs on the test thread, so nothing races.
 */
class SmtpInputBufferTest {
    @TempDir
    Path tmp;

    private final RecyclingAllocator allocator = new RecyclingAllocator();
    private final List<LoopbackClientChannel> channels = new ArrayList<>();
    private final List<String> committed = new ArrayList<>();
    private final List<CompletableFuture<Acceptance>> held = new ArrayList<>();
    private boolean holdCommits;

    private final MessageSink sink = envelope -> new IncomingMessage() {
        private int size;

        @Override
        public void write(byte[] bytes, int offset, int length) {
            size += length;
        }

        @Override
        public CompletableFuture<Acceptance> commit() {
            committed.add("Q" + committed.size() + " " + size);
            if (holdCommits) {
                CompletableFuture<Acceptance> commit = new CompletableFuture<>();
                held.add(commit);
                return commit;
            }
            return CompletableFuture.completedFuture(new Acceptance("Q" + committed.size(),
                    List.of(Acceptance.QUEUED)));
        }

        @Override
        public void abort() {
        }
    };

    private LoopbackClientChannel open(ChannelInboundHandlerAdapter... first) throws Exception {
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of()))
                .parse(SmtpTestServer.yaml("mx", "none", ""), tmp, "test.yaml");
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(),
                config.relay(), config.domains(), MapDirectory.fixture(), sink, Optional.empty(),
                new SimpleMeterRegistry(),
                new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                Runnable::run, Clock.systemUTC());
        LoopbackClientChannel channel = new LoopbackClientChannel();
        channel.config().setAllocator(allocator);
        for (ChannelInboundHandlerAdapter handler : first) {
            channel.pipeline().addLast(handler);
        }
        SmtpPipeline.configure(channel.pipeline(), config.listeners().getFirst(), services);
        channel.register();
        channels.add(channel);
        assertThat(channel.output()).startsWith("220 ");
        return channel;
    }

    @AfterEach
    void close() {
        channels.forEach(LoopbackClientChannel::finishAndReleaseAll);
    }

    /**
     * Hands a released heap buffer to the next allocation, as the node's pooled allocator may (on
     * any event loop), but every time: the sessions' input buffers come from here.
     */
    private static final class RecyclingAllocator extends AbstractByteBufAllocator {
        private final Deque<Recycled> released = new ArrayDeque<>();

        RecyclingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            Recycled buffer = released.pollLast();
            if (buffer == null) {
                return new Recycled(this, initialCapacity, maxCapacity);
            }
            buffer.reuse();
            return buffer;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        private final class Recycled extends UnpooledHeapByteBuf {
            Recycled(ByteBufAllocator alloc, int initialCapacity, int maxCapacity) {
                super(alloc, initialCapacity, maxCapacity);
            }

            @Override
            protected void deallocate() {
                released.add(this);
            }

            void reuse() {
                resetRefCnt();
                clear();
            }
        }
    }

    /** Opens a session when {@code ended} is unregistered: after its channelInactive, before its handlerRemoved. */
    private final class OpensNextSession extends ChannelInboundHandlerAdapter {
        final List<LoopbackClientChannel> opened = new ArrayList<>();

        @Override
        public void channelUnregistered(ChannelHandlerContext ctx) throws Exception {
            opened.add(open());
            ctx.fireChannelUnregistered();
        }
    }

    private static final String MESSAGE = "Subject: load\r\n\r\n" + ("x".repeat(78) + "\r\n").repeat(50) + ".\r\n";

    @Test
    void aSessionThatStartsWhileAnotherEndsKeepsItsInput() throws Exception {
        OpensNextSession window = new OpensNextSession();
        LoopbackClientChannel ended = open(window);
        ended.send("HELO client.test\r\nQUIT\r\n");
        assertThat(ended.output()).contains("221 ");
        ended.runPendingTasks();
        assertThat(ended.isOpen()).isFalse();
        assertThat(window.opened).hasSize(1);

        LoopbackClientChannel next = window.opened.getFirst();
        next.send("HELO client.test\r\n");
        assertThat(next.output()).startsWith("250 ");
        assertThat(next.isOpen()).isTrue();
        next.send("MAIL FROM:<load@remote.test>\r\n");
        assertThat(next.output()).startsWith("250 ");
        next.send("RCPT TO:<alice@example.com>\r\n");
        assertThat(next.output()).startsWith("250 ");
        next.send("DATA\r\n");
        assertThat(next.output()).startsWith("354 ");
        next.send(MESSAGE);
        assertThat(next.output()).startsWith("250 2.0.0 ");
        next.send("QUIT\r\n");
        assertThat(next.output()).startsWith("221 ");
        assertThat(committed).hasSize(1);
    }

    @Test
    void aMessageWhoseCommitOutlastsAnotherSessionIsStillAnswered() throws Exception {
        // The live symptom: the session that got the ended one's buffer shares it with the next
        // session to start; when that one ends, the first is left with a released buffer and its
        // message is never answered.
        OpensNextSession window = new OpensNextSession();
        LoopbackClientChannel ended = open(window);
        ended.send("HELO client.test\r\nQUIT\r\n");
        ended.runPendingTasks();
        LoopbackClientChannel waiting = window.opened.getFirst();
        LoopbackClientChannel other = open();

        holdCommits = true;
        waiting.send("HELO one.test\r\nMAIL FROM:<one@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        assertThat(waiting.output()).endsWith("354 End data with <CR><LF>.<CR><LF>\r\n");
        waiting.send(MESSAGE);
        assertThat(waiting.output()).isEmpty();

        other.send("HELO two.test\r\nQUIT\r\n");
        assertThat(other.output()).contains("221 ");
        other.runPendingTasks();
        assertThat(other.isOpen()).isFalse();

        assertThat(held).hasSize(1);
        held.getFirst().complete(new Acceptance("Q1", List.of(Acceptance.QUEUED)));
        waiting.runPendingTasks();
        assertThat(waiting.output()).startsWith("250 2.0.0 ");
        waiting.send("QUIT\r\n");
        assertThat(waiting.output()).startsWith("221 ");
    }
}
