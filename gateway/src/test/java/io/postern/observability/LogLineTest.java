package io.postern.observability;

import static io.postern.testing.LogCapture.keys;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogLineTest {

    @Test
    void safeValuesStayBare() {
        assertThat(LogLine.event("accepted").add("from", "<a.b+c@example.com>").add("rcpts", 2).toString())
                .isEqualTo("event=accepted from=<a.b+c@example.com> rcpts=2");
    }

    @Test
    void aClientCannotAddKeysOrLines() {
        String line = LogLine.event("session-end").add("helo", "x result=quit\r\nevent=accepted queue_id=FAKE")
                .add("user", "a\"b\\c").add("empty", "").toString();
        assertThat(line).doesNotContain("\n").doesNotContain("\r")
                .isEqualTo("event=session-end helo=\"x result=quit\\r\\nevent=accepted queue_id=FAKE\""
                        + " user=\"a\\\"b\\\\c\" empty=\"\"");
        // Split like a log parser would: every pair outside quotes; the fake pairs stay inside helo.
        assertThat(keys(line)).containsExactly("event", "helo", "user", "empty");
    }

    @Test
    void controlAndBidiCharactersAreEscapedButLettersOfAnyScriptStay() {
        assertThat(LogLine.quote("jürgen\u202e\u0000\u2028@bücher.de"))
                .isEqualTo("\"jürgen\\u202e\\u0000\\u2028@bücher.de\"");
    }

    @Test
    void jsonOutputCarriesThePairsAsFieldsAndEscapesTheLine() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("test");
        logger.addAppender(events);
        LogLine.event("session-end").add("helo", "a\r\n\"}{x").add("rcpts", 2).info(logger);
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithArguments(false);
        encoder.start();
        String json = new String(encoder.encode(events.list.getFirst()), StandardCharsets.UTF_8);
        assertThat(json.strip()).doesNotContain("\n").doesNotContain("\r")
                .contains("\"kvpList\"").contains("\"event\"").contains("\"session-end\"").contains("\"rcpts\"")
                .contains("event=session-end helo=");
    }

    @Test
    void secondsHaveMillisecondPrecision() {
        assertThat(LogLine.event("x").seconds("duration", 0, 1_234_567_890L).toString())
                .isEqualTo("event=x duration=1.235");
    }
}
