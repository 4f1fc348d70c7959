package io.postern.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class XtextTest {
    /** Fixed: a failure names the input that caused it and is reproduced by running the test again. */
    private static final long SEED = 0x5EED_0019L;

    @Test
    void decodesHexEscapesAndRefusesMalformedText() {
        assertThat(Xtext.decode("a+2Bb")).contains("a+b");
        assertThat(Xtext.decode("+0D+0A")).contains("\r\n");
        assertThat(Xtext.decode("a+2")).isEmpty();
        assertThat(Xtext.decode("a+")).isEmpty();
        assertThat(Xtext.decode("a+zz")).isEmpty();
        assertThat(Xtext.decode("a+2b")).as("RFC 3461: upper-case hex only").isEmpty();
        assertThat(Xtext.decode("a=b")).isEmpty();
        assertThat(Xtext.decode("a b")).isEmpty();
        assertThat(Xtext.decode("a\rb")).isEmpty();
        assertThat(Xtext.decode("caf\u00e9")).isEmpty();
    }

    @Test
    void encodesEverythingButXcharsAsHex() {
        // decode gives one char per octet (U+00E9 is the octet E9): encode is its inverse
        assertThat(Xtext.encode("a+b=c d\u00e9\r\n\0")).isEqualTo("a+2Bb+3Dc+20d+E9+0D+0A+00");
        assertThat(Xtext.decode(Xtext.encode("d\u00e9\u0091"))).contains("d\u00e9\u0091");
        // beyond octets (never decoded, always escaped): UTF-8
        assertThat(Xtext.encode("\u20ac\ud83d\ude00")).isEqualTo("+E2+82+AC+F0+9F+98+80");
    }

    @Test
    void xtextRoundTripsEveryAsciiStringAndItsEncodingIsOneSafeToken() {
        Random random = new Random(SEED);
        for (int i = 0; i < 5000; i++) {
            char[] chars = new char[random.nextInt(40)];
            for (int j = 0; j < chars.length; j++) {
                chars[j] = (char) random.nextInt(128);
            }
            String value = new String(chars);
            String encoded = Xtext.encode(value);
            assertThat(encoded).as(value).matches("[!-~]*").doesNotContain("=");
            assertThat(Xtext.decode(encoded)).as(value).contains(value);
        }
    }

    @Test
    void utf8AddressFormsRoundTripAnyUnicodeAndTheXtextFormIsSevenBit() {
        Random random = new Random(SEED);
        for (int i = 0; i < 5000; i++) {
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(30);
            while (value.length() < length) {
                int cp = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt(0x80);
                    case 1 -> 0x80 + random.nextInt(0x780);
                    case 2 -> 0x800 + random.nextInt(0xF800);
                    default -> 0x10000 + random.nextInt(0x100000);
                };
                if (cp != 0 && !(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
                    value.appendCodePoint(cp);
                }
            }
            String text = value.toString();
            String seven = Xtext.encodeUtf8AddressXtext(text);
            String uni = Xtext.encodeUtf8AddressUnitext(text);
            assertThat(seven).as(text).matches("[!-~]*").doesNotContain("=", "+");
            assertThat(uni.codePoints()).as(text).noneMatch(cp -> cp <= ' ' || cp == 0x7f || cp == '=' || cp == '+'
                    || Character.getType(cp) == Character.CONTROL || Character.getType(cp) == Character.LINE_SEPARATOR
                    || Character.getType(cp) == Character.PARAGRAPH_SEPARATOR);
            assertThat(Xtext.decodeUtf8Address(seven)).as(text).contains(text);
            assertThat(Xtext.decodeUtf8Address(uni)).as(text).contains(text);
        }
    }

    @Test
    void utf8AddressDecodingIsStrict() {
        assertThat(Xtext.decodeUtf8Address("jos\\x{E9}@x")).contains("jos\u00e9@x");
        assertThat(Xtext.decodeUtf8Address("a\\x{1F600}")).contains("a\uD83D\uDE00");
        assertThat(Xtext.decodeUtf8Address("a\\x{0A}")).contains("a\n");
        assertThat(Xtext.decodeUtf8Address("a\\x{e9}")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a\\x{00E9}")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a\\x{D800}")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a\\x{110000}")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a\\x{00}")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a\\xE9")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a+2B")).isEmpty();
        assertThat(Xtext.decodeUtf8Address("a b")).isEmpty();
    }

    @Test
    void controlsAreC0DelAndC1() {
        assertThat(Xtext.hasControl("a\rb")).isTrue();
        assertThat(Xtext.hasControl("a\0")).isTrue();
        assertThat(Xtext.hasControl("a\u007f")).isTrue();
        assertThat(Xtext.hasControl("a\u0085")).isTrue();
        assertThat(Xtext.hasControl("a\tb")).isTrue();
        assertThat(Xtext.hasControl("caf\u00e9 ok")).isFalse();
    }
}
