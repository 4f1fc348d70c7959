package io.postern.smtp.inbound.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineFramerTest {

    private static ByteBuf buf(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    @Test
    void cutsLinesAndKeepsTheRest() {
        LineFramer framer = new LineFramer();
        ByteBuf in = buf("NOOP\r\nQUIT\nRS");
        assertThat(framer.next(in, 512)).isInstanceOfSatisfying(LineFramer.Line.class,
                l -> assertThat(new String(l.bytes(), StandardCharsets.US_ASCII)).isEqualTo("NOOP"));
        assertThat(framer.next(in, 512)).isInstanceOfSatisfying(LineFramer.Line.class,
                l -> assertThat(new String(l.bytes(), StandardCharsets.US_ASCII)).isEqualTo("QUIT"));
        assertThat(framer.next(in, 512)).isInstanceOf(LineFramer.NeedMore.class);
        assertThat(in.readableBytes()).isEqualTo(2);
        in.release();
    }

    @Test
    void tooLongLineIsSkippedWithoutBeingKept() {
        LineFramer framer = new LineFramer();
        ByteBuf in = buf("x".repeat(600));
        assertThat(framer.next(in, 512)).isInstanceOf(LineFramer.NeedMore.class);
        assertThat(in.readableBytes()).isZero();
        in.writeCharSequence("yyy\r\nNOOP\r\n", StandardCharsets.US_ASCII);
        assertThat(framer.next(in, 512)).isInstanceOf(LineFramer.TooLong.class);
        assertThat(framer.next(in, 512)).isInstanceOf(LineFramer.Line.class);
        in.release();
    }

    @Test
    void limitIncludesCrLf() {
        LineFramer framer = new LineFramer();
        ByteBuf ok = buf("x".repeat(510) + "\r\n");
        assertThat(framer.next(ok, 512)).isInstanceOf(LineFramer.Line.class);
        ByteBuf bad = buf("x".repeat(511) + "\r\n");
        assertThat(framer.next(bad, 512)).isInstanceOf(LineFramer.TooLong.class);
        ok.release();
        bad.release();
    }
}
