package io.postern.net;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The timeouts of one connection, for every protocol: an idle limit (no activity for longer
 * than {@link #use(Duration) the limit in force}) and any number of named deadlines (absolute
 * ticks, re-read at each check so that a deadline may move, as a DATA phase's does with the
 * octets received). When one passes, the stage fires one {@link Expired} user event towards
 * the session, which answers with its protocol's reply and closes; the stage fires nothing
 * more after that.
 *
 * <p>What counts as activity is the protocol's choice: {@link Activity#TRAFFIC} counts every
 * message read from the stage before it (POP3: whole lines, behind the line decoder) and every
 * finished write; {@link Activity#REPORTED} counts only the session's {@link #activity()} calls
 * (SMTP: whole command lines and DATA octets, not a byte every few seconds). While the session
 * waits for off-loop work it {@link #pause() pauses} the stage: nothing expires, and
 * {@link #resume()} counts as activity.
 *
 * <p>Time is the ticker's: the event loop's unless one is given; tests use the embedded
 * channel's frozen clock, so no test sleeps. Mutable, one per connection, event loop only.
 */
public final class TimeoutStage extends ChannelDuplexHandler {

    /** What counts as activity. */
    public enum Activity { TRAFFIC, REPORTED }

    /** The cause of an expiry that is no deadline: the idle limit. */
    public static final String IDLE = "idle";

    /** Fired once, when the idle limit or deadlines passed: {@code causes} are {@link #IDLE} and the deadlines' names. */
    public record Expired(Set<String> causes) {
        public boolean is(String cause) {
            return causes.contains(cause);
        }
    }

    // A check never runs sooner than this after the previous one: a burst of changes arms one timer.
    private static final long MIN_WAIT = TimeUnit.MILLISECONDS.toNanos(10);

    private final Activity activity;
    private final Optional<Ticker> injected;
    private final Map<String, LongSupplier> deadlines = new LinkedHashMap<>();
    private Duration idle;
    private ChannelHandlerContext ctx;
    private long lastActivity;
    private boolean paused;
    private boolean expired;
    private ScheduledFuture<?> timer;
    private long timerDue;

    public TimeoutStage(Duration idle, Activity activity) {
        this(idle, activity, Optional.empty());
    }

    public TimeoutStage(Duration idle, Activity activity, Optional<Ticker> ticker) {
        this.idle = idle;
        this.activity = activity;
        this.injected = ticker;
    }

    /** The stage of {@code pipeline}; for the session behind it. */
    public static TimeoutStage of(ChannelPipeline pipeline) {
        TimeoutStage stage = pipeline.get(TimeoutStage.class);
        if (stage == null) {
            throw new IllegalStateException("no timeout stage in the pipeline");
        }
        return stage;
    }

    /** The current tick, in nanoseconds. */
    public long now() {
        return injected.orElseGet(() -> ctx.executor().ticker()).nanoTime();
    }

    /** Something happened: the idle limit counts from now. */
    public void activity() {
        lastActivity = now();
    }

    /** The idle limit from now on (SMTP: the command timeout, or the DATA timeout inside a message). */
    public void use(Duration limit) {
        idle = limit;
        rearm();
    }

    /** A deadline called {@code name} at the tick {@code due} returns (read again at each check); replaces one of that name. */
    public void deadline(String name, LongSupplier due) {
        deadlines.put(name, due);
        rearm();
    }

    /** Drops the deadline called {@code name}, if any. */
    public void clear(String name) {
        deadlines.remove(name);
    }

    public boolean has(String name) {
        return deadlines.containsKey(name);
    }

    /** Off-loop work is pending: nothing expires until {@link #resume()}. */
    public void pause() {
        paused = true;
    }

    /** The off-loop work is done: activity now, and a deadline that passed meanwhile is due at once. */
    public void resume() {
        paused = false;
        activity();
        rearm();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        if (context.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        start();
        context.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (activity == Activity.TRAFFIC) {
            activity();
        }
        context.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
        if (activity == Activity.TRAFFIC) {
            context.write(msg, promise.unvoid()).addListener(f -> activity());
            return;
        }
        context.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        stop();
        context.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        stop();
    }

    private void start() {
        if (timer == null && !expired) {
            activity();
            arm(lastActivity + idle.toNanos());
        }
    }

    private void stop() {
        expired = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The earliest tick at which something may expire. */
    private long due() {
        long due = lastActivity + idle.toNanos();
        for (LongSupplier deadline : deadlines.values()) {
            due = Math.min(due, deadline.getAsLong());
        }
        return due;
    }

    /** A shorter limit or an earlier deadline must not wait for a timer armed for a later tick. */
    private void rearm() {
        if (ctx == null || timer == null || expired) {
            return;
        }
        long due = due();
        if (due - timerDue < 0) {
            timer.cancel(false);
            arm(due);
        }
    }

    private void arm(long due) {
        long wait = Math.max(due - now(), MIN_WAIT);
        timerDue = now() + wait;
        timer = ctx.executor().schedule(this::check, wait, TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (expired || !ctx.channel().isActive()) {
            return;
        }
        long now = now();
        if (paused) {
            lastActivity = now;
            arm(now + idle.toNanos());
            return;
        }
        Set<String> causes = new LinkedHashSet<>();
        deadlines.forEach((name, due) -> {
            if (now - due.getAsLong() >= 0) {
                causes.add(name);
            }
        });
        if (now - lastActivity >= idle.toNanos()) {
            causes.add(IDLE);
        }
        if (causes.isEmpty()) {
            arm(due());
            return;
        }
        expired = true;
        ctx.fireUserEventTriggered(new Expired(Set.copyOf(causes)));
    }
}
