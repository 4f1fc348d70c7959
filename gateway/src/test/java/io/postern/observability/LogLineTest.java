package io.postern.observability;

import static io.postern.testing.LogCapture.keys;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

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

    /** Values a client can send: forged pairs, line ends, Unicode line separators, bidi overrides, backslashes. */
    static final List<String> HOSTILE = List.of(
            "\"a result=accepted queue_id=FAKE\"@other.test",
            "x\r\nevent=accepted queue_id=FAKE",
            "line\u2028event=accepted\u2029para\u0085next",
            "evil\u202egpj.exe\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202d",
            "back\\slash \\\" key=value\\",
            "\\u2028 looks like an escape",
            "nul\u0000bell\u0007esc\u001b[31mdel\u007fc1\u009b",
            "=", "\"", "\\", " ", "",
            "jürgen@bücher.de", "用户@例子.广告",
            "\ud83d\ude00 and a lone \ud800 half");

    @Test
    void everyHostileValueReadsBackExactlyAndAddsNoPair() {
        for (String value : HOSTILE) {
            String line = LogLine.event("queued").add("from", value).add("nrcpt", 1).toString();
            assertThat(LogLineParser.parse(line)).as(line)
                    .containsExactly(entry("event", "queued"), entry("from", value), entry("nrcpt", "1"));
        }
    }

    @Test
    void everyUtf16CodeUnitReadsBackAndNothingInvisibleStaysRaw() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            String value = "a" + c + "b";
            assertThat(LogLineParser.parse(LogLine.event("x").add("v", value).toString()).get("v"))
                    .as("U+%04x", (int) c).isEqualTo(value);
            all.append(c);
        }
        String line = LogLine.event("x").add("v", all).toString();
        assertThat(LogLineParser.parse(line).get("v")).isEqualTo(all.toString());
        assertThat(line.chars().filter(c -> c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x2028 || c == 0x2029
                || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069 || c == 0x200e || c == 0x200f
                || c == 0x061c || Character.getType(c) == Character.FORMAT || Character.isSurrogate((char) c)))
                .isEmpty();
    }

    @Test
    void theParserRefusesForgedOrRawLines() {
        for (String forged : List.of("event=x from=a b=c d", "event=x from=\"a", "event=x from=a\u2028b",
                "event=x from=\"a\u202eb\"", "event=x event=y", "event=x from=\"a\"b=c", "event=x from=a\\b")) {
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> LogLineParser.parse(forged)).as(forged);
        }
    }

    @Test
    void everyLevelCarriesTheSameEscapedLine() {
        LoggerContext context = new LoggerContext();
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("test");
        logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        logger.addAppender(events);
        LogLine line = LogLine.event("e").add("error", "x\n\"y\"");
        line.debug(logger);
        line.info(logger);
        line.warn(logger);
        line.error(logger);
        assertThat(events.list).extracting(e -> e.getLevel().toString()).containsExactly("DEBUG", "INFO", "WARN", "ERROR");
        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage).containsOnly("event=e error=\"x\\n\\\"y\\\"\"");
        IllegalStateException boom = new IllegalStateException("boom");
        LogLine.event("e").add("error", "x").cause(boom).error(logger);
        assertThat(events.list.getLast().getThrowableProxy().getMessage()).isEqualTo("boom");
    }

    @Test
    void secondsHaveMillisecondPrecision() {
        assertThat(LogLine.event("x").seconds("duration", 0, 1_234_567_890L).toString())
                .isEqualTo("event=x duration=1.235");
    }
}
