package io.postern.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CanonicalMessageStreamTest {
    private static String canonical(String raw, boolean mboxrd) throws IOException {
        try (InputStream in = new CanonicalMessageStream(
                new ByteArrayInputStream(raw.getBytes(StandardCharsets.ISO_8859_1)), mboxrd)) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void bareLineFeedsBecomeCrlfAndCrlfStays() throws IOException {
        assertThat(canonical("a\nb\r\nc", false)).isEqualTo("a\r\nb\r\nc\r\n");
        assertThat(canonical("", false)).isEmpty();
        assertThat(canonical("\n\n", false)).isEqualTo("\r\n\r\n");
    }

    @Test
    void mboxrdQuotedFromLinesLoseOneQuote() throws IOException {
        assertThat(canonical(">From a\n>>From b\n> From c\n>Fro\n>>>\nx>From d\n", true))
                .isEqualTo("From a\r\n>From b\r\n> From c\r\n>Fro\r\n>>>\r\nx>From d\r\n");
        assertThat(canonical(">From a\n", false)).isEqualTo(">From a\r\n");
        assertThat(canonical(">>From", true)).isEqualTo(">>From\r\n");
    }

    @Test
    void longQuoteRunsPassThrough() throws IOException {
        String quotes = ">".repeat(5000);
        assertThat(canonical(quotes + "From x\n", true)).isEqualTo(quotes + "From x\r\n");
    }

    @Test
    void largeInputStreamsThroughFixedBuffers() throws IOException {
        String line = "x".repeat(100) + "\n";
        String raw = line.repeat(20_000);
        assertThat(canonical(raw, false)).hasSize(102 * 20_000);
    }
}
