package io.postern.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The typed ORCPT and ENVID values: decoded once, refused with controls, re-encoded for every hop. */
class OriginalRecipientTest {

    @Test
    void parameterRoundTripsThroughTheWireForm() {
        OriginalRecipient o = new OriginalRecipient("RFC822", "a+b=c d@example.net");
        assertThat(o.addressType()).isEqualTo("rfc822");
        assertThat(o.parameter(false)).isEqualTo("rfc822;a+2Bb+3Dc+20d@example.net");
        assertThat(OriginalRecipient.fromParameter(o.parameter(false))).isEqualTo(new Decoded.Valid<>(o));
        OriginalRecipient u = OriginalRecipient.of(new MailAddress("jos\u00e9", "example.net"));
        assertThat(u).isEqualTo(new OriginalRecipient("utf-8", "jos\u00e9@example.net"));
        assertThat(OriginalRecipient.fromParameter(u.parameter(true))).isEqualTo(new Decoded.Valid<>(u));
        assertThat(OriginalRecipient.fromParameter(u.parameter(false))).isEqualTo(new Decoded.Valid<>(u));
        assertThat(OriginalRecipient.of(new MailAddress("bob", "example.net")).parameter(true))
                .isEqualTo("rfc822;bob@example.net");
    }

    @Test
    void dsnFieldIsDecodedForRfc822AndSevenBitForUtf8() {
        assertThat(new OriginalRecipient("rfc822", "a+b@example.net").dsnField()).isEqualTo("rfc822;a+b@example.net");
        assertThat(new OriginalRecipient("utf-8", "jos\u00e9@example.net").dsnField())
                .isEqualTo("utf-8;jos\\x{E9}@example.net");
    }

    @Test
    void controlsAreRefusedWhereverTheValueComesFrom() {
        assertThat(OriginalRecipient.fromParameter("rfc822;a+0D+0ARSET")).isInstanceOf(Decoded.HoldsControl.class);
        assertThat(OriginalRecipient.fromParameter("utf-8;a\\x{0D}\\x{0A}RSET")).isInstanceOf(Decoded.HoldsControl.class);
        assertThatThrownBy(() -> new OriginalRecipient("rfc822", "a\r\nRSET")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OriginalRecipient("utf-8", "a\u2028b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OriginalRecipient("rfc;822", "a")).isInstanceOf(IllegalArgumentException.class);
        assertThat(OriginalRecipient.of("rfc822;a\r\nRSET")).isEmpty();
        assertThat(OriginalRecipient.of("rfc822;bob@example.net")).contains(new OriginalRecipient("rfc822", "bob@example.net"));
        assertThat(OriginalRecipient.of("bob@example.net")).contains(new OriginalRecipient("rfc822", "bob@example.net"));
    }

    @Test
    void envelopeIdIsPrintableAsciiAndRoundTrips() {
        EnvelopeId id = new EnvelopeId("QQ 314159+=x");
        assertThat(id.xtext()).isEqualTo("QQ+20314159+2B+3Dx");
        assertThat(EnvelopeId.fromXtext(id.xtext())).isEqualTo(new Decoded.Valid<>(id));
        assertThat(EnvelopeId.fromXtext("a+0D+0AQUIT")).isInstanceOf(Decoded.HoldsControl.class);
        assertThat(EnvelopeId.fromXtext("caf+C3+A9")).isInstanceOf(Decoded.Malformed.class);
        assertThat(EnvelopeId.fromXtext("")).isInstanceOf(Decoded.Malformed.class);
        assertThatThrownBy(() -> new EnvelopeId("a\nb")).isInstanceOf(IllegalArgumentException.class);
        assertThat(EnvelopeId.of("a\u0000b")).isEmpty();
    }
}
