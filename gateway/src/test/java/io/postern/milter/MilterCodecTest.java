package io.postern.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.EnhancedStatus;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Frames byte for byte, as Postfix's milter8 writes and libmilter reads them. */
class MilterCodecTest {
    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void optionNegotiationOffersVersionSixActionsAndProtocol() {
        assertThat(hex(MilterCodec.optionNegotiation(0x1ff, 0x000d07ff)))
                .isEqualTo("0000000d" + "4f" + "00000006" + "000001ff" + "000d07ff");
    }

    @Test
    void offeredProtocolFlagsAreTheDocumentedOnes() {
        // Every "no step" and "no reply" flag Postfix 3 offers, plus skip; not RCPT_REJ (0x800),
        // not HDR_LEADSPC (0x100000), not the 256K/1M body sizes.
        assertThat(MilterProtocol.PROTOCOL_OFFERED).isEqualTo(0x000FF7FF);
    }

    @Test
    void connectCarriesHostFamilyPortAndAddress() {
        assertThat(hex(MilterCodec.connect("mx.example.test", '4', 25, "192.0.2.1")))
                .isEqualTo("0000001e" + "43" + hex(ascii("mx.example.test\0")) + "34" + "0019" + hex(ascii("192.0.2.1\0")));
        assertThat(hex(MilterCodec.connect("unknown", 'U', 0, ""))).isEqualTo("0000000a43" + hex(ascii("unknown\0")) + "55");
    }

    @Test
    void macrosNameTheirCommandThenPairs() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("i", "Q1");
        values.put("{auth_authen}", "alice");
        assertThat(MilterCodec.macros(MacroStage.MAIL, values))
                .isEqualTo(concat(new byte[] {0, 0, 0, 27, 'D', 'M'}, ascii("i\0Q1\0{auth_authen}\0alice\0")));
    }

    @Test
    void mailRcptHeaderBodyAndEmptyCommands() {
        assertThat(MilterCodec.mail("<a@b>", List.of("SIZE=10")))
                .isEqualTo(concat(new byte[] {0, 0, 0, 15, 'M'}, ascii("<a@b>\0SIZE=10\0")));
        assertThat(MilterCodec.rcpt("<c@d>", List.of())).isEqualTo(concat(new byte[] {0, 0, 0, 7, 'R'}, ascii("<c@d>\0")));
        assertThat(MilterCodec.header("Subject", "hi")).isEqualTo(concat(new byte[] {0, 0, 0, 12, 'L'}, ascii("Subject\0hi\0")));
        assertThat(MilterCodec.body(ascii("abcdef"), 3)).isEqualTo(new byte[] {0, 0, 0, 4, 'B', 'a', 'b', 'c'});
        assertThat(MilterCodec.empty(MilterProtocol.EOM)).isEqualTo(new byte[] {0, 0, 0, 1, 'E'});
        assertThatThrownBy(() -> MilterCodec.header("X", "a\0b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodesOptionsWithMacroLists() {
        byte[] data = concat(new byte[] {0, 0, 0, 6, 0, 0, 0, 0x11, 0, 0, 0, 0x40, 0, 0, 0, 2}, ascii("{mail_addr} i\0"));
        Response.Options options = (Response.Options) MilterCodec.decode((byte) 'O', data, "m");
        assertThat(options.version()).isEqualTo(6);
        assertThat(options.actions()).isEqualTo(0x11);
        assertThat(options.protocol()).isEqualTo(0x40);
        assertThat(options.macros()).containsEntry(MacroStage.MAIL, List.of("{mail_addr}", "i"));
    }

    @Test
    void decodesEveryModification() {
        assertThat(MilterCodec.decode((byte) 'h', ascii("X-Spam\0Yes\0"), "m"))
                .isEqualTo(new Response.Edit(new Modification.AddHeader("m", "X-Spam", "Yes")));
        assertThat(MilterCodec.decode((byte) 'i', concat(new byte[] {0, 0, 0, 0}, ascii("A\0b\0")), "m"))
                .isEqualTo(new Response.Edit(new Modification.InsertHeader("m", 0, "A", "b")));
        assertThat(MilterCodec.decode((byte) 'm', concat(new byte[] {0, 0, 0, 1}, ascii("Subject\0new\0")), "m"))
                .isEqualTo(new Response.Edit(new Modification.ChangeHeader("m", 1, "Subject", "new")));
        assertThat(MilterCodec.decode((byte) 'm', concat(new byte[] {0, 0, 0, 2}, ascii("Received\0\0")), "m"))
                .isEqualTo(new Response.Edit(new Modification.DeleteHeader("m", 2, "Received")));
        assertThat(MilterCodec.decode((byte) '+', ascii("<x@y>\0"), "m"))
                .isEqualTo(new Response.Edit(new Modification.AddRecipient("m", "<x@y>", Optional.empty())));
        assertThat(MilterCodec.decode((byte) '2', ascii("<x@y>\0NOTIFY=NEVER\0"), "m"))
                .isEqualTo(new Response.Edit(new Modification.AddRecipient("m", "<x@y>", Optional.of("NOTIFY=NEVER"))));
        assertThat(MilterCodec.decode((byte) '-', ascii("<x@y>\0"), "m"))
                .isEqualTo(new Response.Edit(new Modification.DeleteRecipient("m", "<x@y>")));
        assertThat(MilterCodec.decode((byte) 'e', ascii("<s@y>\0"), "m"))
                .isEqualTo(new Response.Edit(new Modification.ChangeSender("m", "<s@y>", Optional.empty())));
        assertThat(MilterCodec.decode((byte) 'b', ascii("new body\r\n"), "m"))
                .isEqualTo(new Response.Edit(new Modification.ReplaceBody("m", ascii("new body\r\n"))));
        assertThat(MilterCodec.decode((byte) 'q', ascii("virus\0"), "m")).isEqualTo(new Response.Quarantine("virus"));
        assertThat(MilterCodec.decode((byte) 'p', new byte[0], "m")).isEqualTo(new Response.Progress());
    }

    @Test
    void replyCodeIsValidated() {
        assertThat(MilterCodec.decode((byte) 'y', ascii("550 5.7.1 Virus found\0"), "m"))
                .isEqualTo(new Response.Reply(new MilterReply(550, EnhancedStatus.of("5.7.1"), "Virus found")));
        // No enhanced status: the catalogue's subject and detail in the code's class.
        assertThat(MilterCodec.decode((byte) 'y', ascii("421 busy\0"), "m"))
                .isEqualTo(new Response.Reply(new MilterReply(421, EnhancedStatus.of("4.7.1"), "busy")));
        assertThat(((Response.Reply) MilterCodec.decode((byte) 'y', ascii("550-5.7.1 one\r\n550 5.7.1 two\0"), "m"))
                .reply().lines()).containsExactly("one", "two");
        for (String bad : List.of("250 2.0.0 ok", "550 4.7.1 mixed", "550-only continuation", "550 5.7.1 a\r\n451 4.0.0 b",
                "55 short", "550 5.7.1 ctl\u0007", "")) {
            assertThatThrownBy(() -> MilterCodec.decode((byte) 'y', ascii(bad + "\0"), "m"))
                    .as(bad).isInstanceOf(MilterProtocolException.class);
        }
    }

    @Test
    void nonsenseIsAProtocolError() {
        assertThatThrownBy(() -> MilterCodec.decode((byte) 'Z', new byte[0], "m")).isInstanceOf(MilterProtocolException.class);
        assertThatThrownBy(() -> MilterCodec.decode((byte) 'c', new byte[] {1}, "m")).isInstanceOf(MilterProtocolException.class);
        assertThatThrownBy(() -> MilterCodec.decode((byte) 'h', ascii("Bad Name\0v\0"), "m"))
                .isInstanceOf(MilterProtocolException.class);
        assertThatThrownBy(() -> MilterCodec.decode((byte) 'h', ascii("X\0no-nul"), "m")).isInstanceOf(MilterProtocolException.class);
        assertThatThrownBy(() -> MilterCodec.decode((byte) 'm', new byte[] {0, 0}, "m")).isInstanceOf(MilterProtocolException.class);
        assertThatThrownBy(() -> MilterCodec.decode((byte) '+', ascii("\0"), "m")).isInstanceOf(MilterProtocolException.class);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
