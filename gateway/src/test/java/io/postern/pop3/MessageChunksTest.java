package io.postern.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageChunksTest {
    private static String send(String canonical, long bodyLines) throws Exception {
        MessageChunks chunks = new MessageChunks(
                new ByteArrayInputStream(canonical.getBytes(StandardCharsets.ISO_8859_1)), bodyLines);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!chunks.isEndOfInput()) {
            ByteBuf chunk = chunks.readChunk(UnpooledByteBufAllocator.DEFAULT);
            byte[] bytes = new byte[chunk.readableBytes()];
            chunk.readBytes(bytes);
            chunk.release();
            out.write(bytes);
        }
        chunks.close();
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void leadingDotsAreDoubledAndTheEndIsMarked() throws Exception {
        assertThat(send("A: b\r\n\r\n.\r\n..x\r\n x.\r\n", -1)).isEqualTo("A: b\r\n\r\n..\r\n...x\r\n x.\r\n.\r\n");
        assertThat(send("", -1)).isEqualTo(".\r\n");
    }

    @Test
    void dotsAcrossChunkBoundariesAreStuffed() throws Exception {
        String filler = "x".repeat(MessageChunks.CHUNK - 2) + "\r\n";
        assertThat(send(filler + ".y\r\n", -1)).isEqualTo(filler + "..y\r\n.\r\n");
    }

    @Test
    void topStopsAfterTheHeaderAndNLines() throws Exception {
        String message = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
        assertThat(send(message, 0)).isEqualTo("A: 1\r\nB: 2\r\n\r\n.\r\n");
        assertThat(send(message, 2)).isEqualTo("A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n");
        assertThat(send(message, 50)).isEqualTo(message.replace(".l2", "..l2") + ".\r\n");
        assertThat(send("A: 1\r\n", 0)).isEqualTo("A: 1\r\n.\r\n");
    }
}
