package io.postern.smtp.inbound.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The content stage after DATA decoding (or raw BDAT chunks): enforces line endings, line
 * length, message size and the Received-header hop count, notes whether Message-ID and Date are
 * present, and passes the bytes on. Bare CR or LF are rejected (only a flag is set; the session
 * answers 554 5.5.2 at the end of the message) or normalised to CRLF. After the first problem
 * nothing more is passed on. Mutable, one per message.
 */
public final class MessageStream {
    /** Where accepted content goes (the session's IncomingMessage). */
    @FunctionalInterface
    public interface Sink {
        void write(byte[] bytes, int offset, int length);
    }

    /** The first problem found, in the order the session reports them. */
    public enum Problem { TOO_BIG, BARE_LINE_ENDING, LINE_TOO_LONG, MAIL_LOOP }

    /** Limits and policy for one message. */
    public record Limits(long maxSize, int maxLineLength, int maxReceivedHeaders, boolean normalizeBareLineEndings) {
    }

    private static final int HEADER_PREFIX = 16;
    private static final byte[] CRLF = {'\r', '\n'};

    private final Limits limits;
    private final Sink sink;
    private final byte[] out = new byte[8192];
    private int outLength;
    private long size;
    private int lineLength;
    private boolean pendingCr;
    private boolean inHeaders = true;
    private final byte[] linePrefix = new byte[HEADER_PREFIX];
    private int prefixLength;
    // RFC 5322 4.5 (obs-optional): a field name may be followed by white space before its colon.
    private NameState nameState = NameState.NAME;
    private final Set<String> deliveredTo = new LinkedHashSet<>();
    // The value of the Delivered-To field being read (null on other lines); at most MAX_HEADER_VALUE bytes.
    private ByteArrayOutputStream deliveredToValue;
    private static final int MAX_HEADER_VALUE = 998;
    private int receivedHeaders;
    private boolean hasMessageId;
    private boolean hasDate;
    private Problem problem;
    private HeaderEndListener headerEnd = () -> new byte[0];

    /** Called at the blank line that ends the header section; may return header lines to insert there. */
    @FunctionalInterface
    public interface HeaderEndListener {
        byte[] missingHeaders();
    }

    public MessageStream(Limits limits, Sink sink) {
        this.limits = limits;
        this.sink = sink;
    }

    public void onHeaderEnd(HeaderEndListener listener) {
        this.headerEnd = listener;
    }

    public void write(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length && problem == null; i++) {
            accept(bytes[i]);
        }
        flush();
    }

    /** Ends the content: a CR still pending is a bare CR; headers never closed are closed here. */
    public void finish() {
        if (problem == null && pendingCr) {
            pendingCr = false;
            bareLineEnding();
        }
        if (problem == null && inHeaders) {
            if (lineLength > 0) {
                endOfHeaderLine();
                append(CRLF, 0, 2);
            }
            inHeaders = false;
            byte[] missing = headerEnd.missingHeaders();
            append(missing, 0, missing.length);
        }
        flush();
    }

    public Optional<Problem> problem() {
        return Optional.ofNullable(problem);
    }

    public long size() {
        return size;
    }

    public boolean hasMessageId() {
        return hasMessageId;
    }

    public boolean hasDate() {
        return hasDate;
    }

    public int receivedHeaders() {
        return receivedHeaders;
    }

    /**
     * The addresses of the message's own {@code Delivered-To} fields, trimmed and lower-case, for
     * the forwarding-loop check; at most {@code maxReceivedHeaders} of them (trace fields, bounded
     * alike). Values longer than a header line may be are not kept.
     */
    public Set<String> deliveredTo() {
        return Collections.unmodifiableSet(deliveredTo);
    }

    private void accept(byte b) {
        if (pendingCr) {
            pendingCr = false;
            if (b == '\n') {
                endOfLine();
                return;
            }
            bareLineEnding();
            if (problem != null) {
                return;
            }
        }
        if (b == '\r') {
            pendingCr = true;
        } else if (b == '\n') {
            bareLineEnding();
        } else {
            content(b);
        }
    }

    private void bareLineEnding() {
        if (limits.normalizeBareLineEndings()) {
            endOfLine();
        } else {
            fail(Problem.BARE_LINE_ENDING);
        }
    }

    private void content(byte b) {
        lineLength++;
        if (lineLength > limits.maxLineLength() - 2) {
            fail(Problem.LINE_TOO_LONG);
            return;
        }
        if (inHeaders) {
            notePrefix(b);
        }
        appendByte(b);
    }

    private void endOfLine() {
        if (inHeaders) {
            if (lineLength == 0) {
                inHeaders = false;
                byte[] missing = headerEnd.missingHeaders();
                append(missing, 0, missing.length);
            } else {
                endOfHeaderLine();
            }
        }
        lineLength = 0;
        prefixLength = 0;
        nameState = NameState.NAME;
        append(CRLF, 0, 2);
    }

    /** Where a header line is in its field name: white space between the name and the colon is not kept. */
    private enum NameState { NAME, GAP, VALUE }

    /**
     * Keeps the first bytes of a header line as {@code name:}, without the obsolete white space
     * before the colon, so that {@code Received :} counts as a Received header. A line starting
     * with white space is a continuation, and a name with white space inside it is no field name:
     * neither is kept as one.
     */
    private void notePrefix(byte b) {
        boolean space = b == ' ' || b == '\t';
        switch (nameState) {
            case NAME -> {
                if (space) {
                    nameState = prefixLength == 0 ? NameState.VALUE : NameState.GAP;
                    if (prefixLength == 0) {
                        keep((byte) ' ');
                    }
                    return;
                }
                keep(b);
                if (b == ':') {
                    nameState = NameState.VALUE;
                    valueStarts();
                }
            }
            case GAP -> {
                if (space) {
                    return;
                }
                nameState = NameState.VALUE;
                // "Rec eived:" is not a field name: a space keeps it from matching any.
                keep(b == ':' ? b : (byte) ' ');
                if (b == ':') {
                    valueStarts();
                }
            }
            case VALUE -> {
                keep(b);
                if (deliveredToValue != null && deliveredToValue.size() <= MAX_HEADER_VALUE) {
                    deliveredToValue.write(b);
                }
            }
        }
    }

    private void valueStarts() {
        String name = new String(linePrefix, 0, prefixLength, StandardCharsets.ISO_8859_1);
        if (name.equalsIgnoreCase("delivered-to:") && deliveredTo.size() < limits.maxReceivedHeaders()) {
            deliveredToValue = new ByteArrayOutputStream();
        }
    }

    private void keep(byte b) {
        if (prefixLength < HEADER_PREFIX) {
            linePrefix[prefixLength++] = b;
        }
    }

    private void endOfHeaderLine() {
        if (deliveredToValue != null) {
            if (deliveredToValue.size() <= MAX_HEADER_VALUE) {
                deliveredTo.add(deliveredToValue.toString(StandardCharsets.UTF_8).trim().toLowerCase(Locale.ROOT));
            }
            deliveredToValue = null;
        }
        String prefix = new String(linePrefix, 0, prefixLength, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        if (prefix.startsWith("received:")) {
            receivedHeaders++;
            if (receivedHeaders > limits.maxReceivedHeaders()) {
                fail(Problem.MAIL_LOOP);
            }
        } else if (prefix.startsWith("message-id:")) {
            hasMessageId = true;
        } else if (prefix.startsWith("date:")) {
            hasDate = true;
        }
    }

    private void fail(Problem found) {
        if (problem == null) {
            problem = found;
            outLength = 0;
        }
    }

    private void append(byte[] bytes, int offset, int length) {
        if (problem != null) {
            return;
        }
        size += length;
        if (size > limits.maxSize()) {
            fail(Problem.TOO_BIG);
            return;
        }
        for (int i = 0; i < length; i++) {
            if (outLength == out.length) {
                flush();
            }
            out[outLength++] = bytes[offset + i];
        }
    }

    private void appendByte(byte b) {
        if (++size > limits.maxSize()) {
            fail(Problem.TOO_BIG);
            return;
        }
        if (outLength == out.length) {
            flush();
        }
        out[outLength++] = b;
    }

    private void flush() {
        if (outLength > 0 && problem == null) {
            sink.write(out, 0, outLength);
        }
        outLength = 0;
    }
}
