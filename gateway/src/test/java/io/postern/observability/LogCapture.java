package io.postern.observability;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The formatted messages of every log event while open, read as the other log tests do: under the
 * appender's own monitor, which {@code AppenderBase.doAppend} holds while it appends. Close it.
 */
public final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    public LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    public List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The lines of one event kind, such as {@code queued}. */
    public List<String> events(String event) {
        return lines().stream().filter(l -> l.startsWith("event=" + event + " ")).toList();
    }

    /** Waits, bounded, until {@code count} lines of {@code event} were logged; returns them. */
    public List<String> await(String event, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (events(event).size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        List<String> found = events(event);
        if (found.size() < count) {
            throw new AssertionError("expected " + count + " event=" + event + " lines, got " + found + " in " + lines());
        }
        return found;
    }

    @Override
    public void close() {
        root.detachAppender(appender);
    }
}
