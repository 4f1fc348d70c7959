package io.postern.outbound;

import io.netty.handler.codec.LineBasedFrameDecoder;

/**
 * The line framer for server replies (bounded, fails fast on an over-long line) that can tell
 * whether it holds bytes not yet framed: before TLS starts, any such byte is a reply injected
 * in plaintext behind the 220 to STARTTLS (CVE-2011-0411 class) and the session is dropped.
 */
final class ReplyLineDecoder extends LineBasedFrameDecoder {
    ReplyLineDecoder(int maxLength) {
        super(maxLength, true, true);
    }

    int buffered() {
        return actualReadableBytes();
    }
}
