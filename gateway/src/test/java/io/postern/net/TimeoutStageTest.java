package io.postern.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postern.testing.LoopbackClientChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared timeout stage on the embedded channel's frozen clock: time moves only when the test says. */
class TimeoutStageTest {
    private final List<TimeoutStage.Expired> fired = new ArrayList<>();
    private EmbeddedChannel channel;
    private TimeoutStage stage;

    private void open(TimeoutStage.Activity activity) {
        stage = new TimeoutStage(Duration.ofSeconds(60), activity);
        channel = new LoopbackClientChannel();
        channel.pipeline().addLast(stage, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                fired.add((TimeoutStage.Expired) evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }
        });
        try {
            channel.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        channel.freezeTime();
    }

    private void advance(Duration by) {
        channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        channel.runPendingTasks();
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void idleLimitFiresOnceWhenNothingHappens() {
        open(TimeoutStage.Activity.REPORTED);
        advance(Duration.ofSeconds(59));
        assertThat(fired).isEmpty();
        advance(Duration.ofSeconds(1));
        assertThat(fired).containsExactly(new TimeoutStage.Expired(Set.of(TimeoutStage.IDLE)));
        advance(Duration.ofMinutes(10));
        assertThat(fired).hasSize(1);
    }

    @Test
    void reportedActivityMovesTheLimitButTrafficDoesNot() {
        open(TimeoutStage.Activity.REPORTED);
        advance(Duration.ofSeconds(50));
        stage.activity();
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
        advance(Duration.ofSeconds(50));
        assertThat(fired).isEmpty();
        advance(Duration.ofSeconds(10));
        assertThat(fired).hasSize(1);
    }

    @Test
    void countedTrafficIsActivity() {
        open(TimeoutStage.Activity.TRAFFIC);
        advance(Duration.ofSeconds(50));
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
        advance(Duration.ofSeconds(50));
        assertThat(fired).isEmpty();
        advance(Duration.ofSeconds(10));
        assertThat(fired).hasSize(1);
    }

    @Test
    void aShorterLimitDoesNotWaitForTheLongerOne() {
        open(TimeoutStage.Activity.REPORTED);
        stage.use(Duration.ofSeconds(5));
        advance(Duration.ofSeconds(5));
        assertThat(fired).hasSize(1);
    }

    @Test
    void nothingExpiresWhilePausedAndResumingIsActivity() {
        open(TimeoutStage.Activity.REPORTED);
        stage.pause();
        advance(Duration.ofMinutes(30));
        assertThat(fired).isEmpty();
        stage.resume();
        advance(Duration.ofSeconds(59));
        assertThat(fired).isEmpty();
        advance(Duration.ofSeconds(1));
        assertThat(fired).hasSize(1);
    }

    @Test
    void aNamedDeadlineFiresWithItsNameAndMayMove() {
        open(TimeoutStage.Activity.REPORTED);
        long[] due = {stage.now() + Duration.ofSeconds(10).toNanos()};
        stage.deadline("data", () -> due[0]);
        advance(Duration.ofSeconds(9));
        due[0] += Duration.ofSeconds(20).toNanos();
        advance(Duration.ofSeconds(1));
        assertThat(fired).isEmpty();
        advance(Duration.ofSeconds(20));
        assertThat(fired).singleElement().satisfies(e -> {
            assertThat(e.is("data")).isTrue();
            assertThat(e.is(TimeoutStage.IDLE)).isFalse();
        });
    }

    @Test
    void aClearedDeadlineNeverFires() {
        open(TimeoutStage.Activity.REPORTED);
        long due = stage.now() + Duration.ofSeconds(10).toNanos();
        stage.deadline("line", () -> due);
        stage.clear("line");
        stage.activity();
        advance(Duration.ofSeconds(30));
        assertThat(fired).isEmpty();
        assertThat(stage.has("line")).isFalse();
    }
}
