package io.postern.observability;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.postern.config.LoggingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches the console log to one JSON object per line when {@code logging.format: json}; the
 * default text format (logback.xml) stays key=value, greppable like Postfix's maillog.
 */
public final class LogFormat {
    private LogFormat() {
    }

    public static void apply(LoggingConfig config) {
        if (config.format() != LoggingConfig.Format.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender("STDERR") instanceof ConsoleAppender<ILoggingEvent> console)) {
            return;
        }
        console.stop();
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithArguments(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithContext(false);
        encoder.start();
        console.setEncoder(encoder);
        console.start();
    }
}
