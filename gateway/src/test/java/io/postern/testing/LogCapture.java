package io.postern.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log lines a logger (and the loggers below it) writes while attached, for tests that assert
 * on what an operator reads. Other threads log into it: read it with {@link #lines()} only, and
 * wait for a line with {@link Await}. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        appender.start();
        logger.addAppender(appender);
    }

    /** Every logger's lines. */
    public static LogCapture root() {
        return new LogCapture((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME));
    }

    /** The lines of {@code type}'s logger. */
    public static LogCapture of(Class<?> type) {
        return new LogCapture((Logger) LoggerFactory.getLogger(type));
    }

    /** The formatted messages so far, oldest first. */
    public List<String> lines() {
        synchronized (appender) { // AppenderBase.doAppend appends while holding the appender's monitor
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The lines that start {@code event=<event> }. */
    public List<String> events(String event) {
        return lines().stream().filter(l -> l.startsWith("event=" + event + " ")).toList();
    }

    /** The lines that start {@code event=<event> } and were logged at {@code level}. */
    public List<String> events(String event, Level level) {
        synchronized (appender) {
            return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.startsWith("event=" + event + " ")).toList();
        }
    }

    /** Waits, bounded by {@link Await}, until {@code count} lines of {@code event} were logged; returns them. */
    public List<String> await(String event, int count) {
        Await.until(count + " event=" + event + " lines", () -> events(event).size() >= count);
        return events(event);
    }

    /** The keys a log parser finds: words before '=' outside quoted values. */
    public static List<String> keys(String line) {
        List<String> keys = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '=' && start >= 0) {
                keys.add(line.substring(start, i));
                start = -1;
            } else if (!quoted && c == ' ') {
                start = i + 1;
            }
        }
        return keys;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
