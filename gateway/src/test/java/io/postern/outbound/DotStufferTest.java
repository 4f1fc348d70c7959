package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStufferTest {

    private static String stuff(int chunk, String content) {
        DotStuffer stuffer = new DotStuffer();
        ByteBuf out = Unpooled.buffer();
        byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length; i += chunk) {
            stuffer.stuff(bytes, i, Math.min(chunk, bytes.length - i), out);
        }
        stuffer.finish(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void doublesLeadingDotsAcrossChunkBoundaries() {
        String content = ".first\r\nmiddle.\r\n..two\r\n.\r\nend\r\n";
        String expected = "..first\r\nmiddle.\r\n...two\r\n..\r\nend\r\n.\r\n";
        for (int chunk = 1; chunk <= content.length(); chunk++) {
            assertThat(stuff(chunk, content)).as("chunk " + chunk).isEqualTo(expected);
        }
    }

    @Test
    void addsMissingFinalLineEnd() {
        assertThat(stuff(4, "Subject: x\r\n\r\nno newline")).isEqualTo("Subject: x\r\n\r\nno newline\r\n.\r\n");
        assertThat(stuff(4, "")).isEqualTo(".\r\n");
    }

    @Test
    void notices8BitBytes() {
        DotStuffer stuffer = new DotStuffer();
        stuffer.stuff("plain\r\n".getBytes(StandardCharsets.US_ASCII), 0, 7, Unpooled.buffer());
        assertThat(stuffer.sawEightBit()).isFalse();
        stuffer.stuff(new byte[] {(byte) 0xc3, (byte) 0xa9}, 0, 2, Unpooled.buffer());
        assertThat(stuffer.sawEightBit()).isTrue();
    }
}
