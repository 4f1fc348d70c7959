package io.postern.smtp.inbound.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataDecoderTest {

    private record Result(String content, boolean finished, int consumed) {
    }

    private static Result decode(String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataDecoder decoder = new DataDecoder(out::write);
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        int consumed = decoder.decode(bytes, 0, bytes.length);
        return new Result(out.toString(StandardCharsets.ISO_8859_1), decoder.finished(), consumed);
    }

    @Test
    void endsOnlyAtCrLfDotCrLfAndLeavesWhatFollows() {
        Result r = decode("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assertThat(r.finished()).isTrue();
        assertThat(r.content()).isEqualTo("Subject: x\r\n\r\nbody\r\n");
        assertThat(r.consumed()).isEqualTo("Subject: x\r\n\r\nbody\r\n.\r\n".length());
    }

    @Test
    void emptyMessageEndsAtOnce() {
        Result r = decode(".\r\n");
        assertThat(r.finished()).isTrue();
        assertThat(r.content()).isEmpty();
    }

    @Test
    void removesDotStuffing() {
        Result r = decode("..leading\r\n...two\r\n.x\r\nmid.dle\r\n.\r\n");
        assertThat(r.content()).isEqualTo(".leading\r\n..two\r\nx\r\nmid.dle\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\n.\nMAIL FROM:<x@y.z>\r\n", "a\r.\rRSET\r\n", "a\n.\r\nRSET\r\n", "a\r\n.\nRSET\r\n",
            "a\r\n.\r.\r\n", "a\r\n. \r\n"})
    void fakeEndsOfDataNeverEnd(String input) {
        Result r = decode(input);
        assertThat(r.finished()).as(input).isFalse();
        assertThat(r.consumed()).isEqualTo(input.length());
    }

    @Test
    void bareLineEndingsArePassedOnForTheMessageStreamToJudge() {
        Result r = decode("a\nb\rc\r\n.\r\n");
        assertThat(r.content()).isEqualTo("a\nb\rc\r\n");
    }

    @Test
    void endSplitAcrossReads() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataDecoder decoder = new DataDecoder(out::write);
        for (String part : new String[] {"line\r", "\n", ".", "\r", "\n"}) {
            byte[] b = part.getBytes(StandardCharsets.US_ASCII);
            decoder.decode(b, 0, b.length);
        }
        assertThat(decoder.finished()).isTrue();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("line\r\n");
    }
}
