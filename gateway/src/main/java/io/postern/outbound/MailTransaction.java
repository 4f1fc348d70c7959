package io.postern.outbound;

import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.HandoffKey;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One mail transaction on a ready session: MAIL, RCPT for each recipient, DATA with the streamed
 * content, and the final reply (one for SMTP, one per accepted recipient for LMTP). Uses
 * PIPELINING (RFC 2920) when offered, SIZE, BODY=8BITMIME, SMTPUTF8 and DSN parameters. Every
 * parameter is encoded here from the envelope's typed values (RFC 3461 xtext, RFC 6533 for utf-8
 * ORCPT), and every command line is checked for CR, LF and NUL before the first one is written: a
 * line that fails defers the recipients with 4.3.0 and nothing of the transaction is sent.
 *
 * <p>8-bit content to a server without 8BITMIME (RFC 6152 3): the content is scanned, and if it
 * really holds 8-bit bytes the recipients FAIL with 5.6.3; a message declared 8BITMIME that is in
 * fact 7-bit is sent as is. We do not downgrade to quoted-printable: rewriting MIME structure
 * breaks DKIM signatures and needs a full MIME parser in the delivery path.
 *
 * <p>Stateless; {@link #run} blocks (virtual thread).
 */
final class MailTransaction {
    private MailTransaction() {
    }

    /**
     * The results, whether the session may be reused, and whether the host refused before anything
     * was decided (so the next host may be tried).
     */
    record Outcome(List<DeliveryResult> results, boolean reusable, boolean tryNextHost, Optional<SessionFailure> failure,
                   List<EnvelopeRecipient> unanswered) {
        Outcome {
            results = List.copyOf(results);
            unanswered = List.copyOf(unanswered);
        }

        Outcome(List<DeliveryResult> results, boolean reusable, boolean tryNextHost, Optional<SessionFailure> failure) {
            this(results, reusable, tryNextHost, failure, List.of());
        }
    }

    static Outcome run(SmtpConnection connection, QueuedMessage message, List<EnvelopeRecipient> recipients,
                       OutboundConfig.Timeouts timeouts, boolean lmtp) {
        String mta = connection.remoteMta();
        Extensions ext = connection.extensions();
        Envelope envelope = message.envelope();
        Optional<RecipientOutcome.Failed> refusal = precheck(message, recipients, ext, mta);
        if (refusal.isPresent()) {
            RecipientOutcome.Failed failed = refusal.get();
            return new Outcome(recipients.stream()
                    .map(r -> ReplyMapping.local(r, failed.status(), failed.text(), Optional.of(mta))).toList(), true,
                    false, Optional.empty());
        }
        Map<EnvelopeRecipient, DeliveryResult> results = new LinkedHashMap<>();
        List<EnvelopeRecipient> accepted = new ArrayList<>();
        boolean mailAccepted = false;
        try {
            boolean pipelining = ext.has("PIPELINING");
            String mail = mailCommand(message, ext);
            List<String> rcpts = recipients.stream()
                    .map(r -> rcptCommand(r, ext, usesSmtpUtf8(envelope, ext))).toList();
            Optional<String> unsafe = java.util.stream.Stream.concat(java.util.stream.Stream.of(mail), rcpts.stream())
                    .filter(line -> !SmtpConnection.safeLine(line)).findFirst();
            if (unsafe.isPresent()) {
                // Checked before the first line is written: nothing of this transaction reaches the server,
                // and the session is still clean for the next one.
                connection.refused(unsafe.get());
                return new Outcome(recipients.stream().map(r -> ReplyMapping.local(r, Diagnostics.INTERNAL_CODE,
                        Diagnostics.unsafeLine(mta), Optional.of(mta))).toList(), true, false, Optional.empty());
            }
            SmtpReply mailReply;
            List<SmtpReply> rcptReplies = new ArrayList<>();
            SmtpReply dataReply = null;
            if (pipelining) {
                connection.write(mail);
                for (String rcpt : rcpts) {
                    connection.write(rcpt);
                }
                connection.write("DATA");
                mailReply = connection.read("MAIL FROM", timeouts.mail());
                for (int i = 0; i < recipients.size(); i++) {
                    rcptReplies.add(connection.read("RCPT TO", timeouts.rcpt()));
                }
                dataReply = connection.read("DATA", timeouts.dataInit());
            } else {
                mailReply = connection.command(mail, timeouts.mail());
                if (mailReply.positive()) {
                    for (String rcpt : rcpts) {
                        rcptReplies.add(connection.command(rcpt, timeouts.rcpt()));
                    }
                }
            }
            mailAccepted = mailReply.positive();
            if (!mailReply.positive()) {
                for (EnvelopeRecipient r : recipients) {
                    results.put(r, ReplyMapping.result(r, mailReply, mta));
                }
                return finishWithoutData(connection, recipients, results, dataReply, timeouts);
            }
            for (int i = 0; i < recipients.size(); i++) {
                EnvelopeRecipient r = recipients.get(i);
                SmtpReply reply = rcptReplies.get(i);
                if (reply.positive()) {
                    accepted.add(r);
                } else {
                    results.put(r, ReplyMapping.result(r, reply, mta));
                }
            }
            if (accepted.isEmpty()) {
                return finishWithoutData(connection, recipients, results, dataReply, timeouts);
            }
            if (dataReply == null) {
                dataReply = connection.command("DATA", timeouts.dataInit());
            }
            if (dataReply.code() != 354) {
                for (EnvelopeRecipient r : accepted) {
                    results.put(r, ReplyMapping.result(r, dataReply, mta));
                }
                return finishWithoutData(connection, recipients, results, null, timeouts);
            }
            try (InputStream in = message.content().open()) {
                connection.writeContent(in, timeouts.dataBlock());
            }
            connection.countMessage();
            if (lmtp) {
                for (EnvelopeRecipient r : accepted) {
                    results.put(r, ReplyMapping.result(r, connection.read("end of data", timeouts.dataDone()), mta));
                }
            } else {
                SmtpReply done = connection.read("end of data", timeouts.dataDone());
                for (EnvelopeRecipient r : accepted) {
                    results.put(r, ReplyMapping.result(r, done, mta));
                }
            }
            return new Outcome(ordered(recipients, results), true, false, Optional.empty());
        } catch (SessionFailure e) {
            connection.close();
            // Recipients the server never answered for: after the final dot the message may be in
            // their mailbox or not (RFC 1047); the hand-off retries them elsewhere under the same key.
            List<EnvelopeRecipient> unanswered = recipients.stream().filter(r -> !results.containsKey(r)).toList();
            for (EnvelopeRecipient r : recipients) {
                results.putIfAbsent(r, ReplyMapping.local(r, e.enhancedCode(), e.getMessage(), Optional.of(mta)));
            }
            return new Outcome(ordered(recipients, results), false, !mailAccepted, Optional.of(e), unanswered);
        } catch (IOException e) {
            // Reading our own stored content failed: the remote side is fine, we are not.
            connection.close();
            for (EnvelopeRecipient r : recipients) {
                results.putIfAbsent(r, ReplyMapping.local(r, Diagnostics.INTERNAL_CODE,
                        "cannot read the stored message: " + e.getMessage(), Optional.of(mta)));
            }
            return new Outcome(ordered(recipients, results), false, false, Optional.empty());
        }
    }

    /** No data will be sent: close an unexpectedly opened DATA, then RSET so the session can be reused. */
    private static Outcome finishWithoutData(SmtpConnection connection, List<EnvelopeRecipient> recipients,
                                             Map<EnvelopeRecipient, DeliveryResult> results, SmtpReply dataReply,
                                             OutboundConfig.Timeouts timeouts) throws SessionFailure {
        if (dataReply != null && dataReply.code() == 354) {
            // RFC 2920 3.1: a server that opened DATA with no valid recipient gets an empty message.
            connection.write(".");
            connection.read("end of data", timeouts.dataDone());
        }
        SmtpReply rset = connection.command("RSET", timeouts.helo());
        return new Outcome(ordered(recipients, results), rset.positive(), false, Optional.empty());
    }

    private static List<DeliveryResult> ordered(List<EnvelopeRecipient> recipients,
                                                Map<EnvelopeRecipient, DeliveryResult> results) {
        return recipients.stream().map(results::get).toList();
    }

    /** A reason (code, space, text) not to send at all: too big, 8-bit or UTF-8 the server cannot take. */
    static Optional<RecipientOutcome.Failed> precheck(QueuedMessage message, List<EnvelopeRecipient> recipients, Extensions ext,
                                     String mta) {
        long size = message.content().size();
        if (ext.has("SIZE") && ext.maxSize() > 0 && size > ext.maxSize()) {
            return Optional.of(RecipientOutcome.failed(Diagnostics.TOO_BIG_CODE,
                    Diagnostics.tooBig(mta, size, ext.maxSize())));
        }
        Envelope envelope = message.envelope();
        if (envelope.bodyType() == Envelope.BodyType.BINARY_MIME) {
            return Optional.of(RecipientOutcome.failed(Diagnostics.EIGHT_BIT_CODE, Diagnostics.binary(mta)));
        }
        if (envelope.bodyType() == Envelope.BodyType.EIGHT_BIT_MIME && !ext.has("8BITMIME") && hasEightBit(message)) {
            return Optional.of(RecipientOutcome.failed(Diagnostics.EIGHT_BIT_CODE, Diagnostics.eightBit(mta)));
        }
        if (!ext.has("SMTPUTF8") && needsUtf8(envelope, recipients)) {
            return Optional.of(RecipientOutcome.failed(Diagnostics.SMTPUTF8_CODE, Diagnostics.smtpUtf8(mta)));
        }
        return Optional.empty();
    }

    private static boolean hasEightBit(QueuedMessage message) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = message.content().open()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] < 0) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            // Unreadable now: let the transfer itself fail and defer.
            return false;
        }
    }

    private static boolean needsUtf8(Envelope envelope, List<EnvelopeRecipient> recipients) {
        if (envelope.sender().isPresent() && !ascii(envelope.sender().get())) {
            return true;
        }
        return recipients.stream().anyMatch(r -> !ascii(r.address()));
    }

    private static boolean ascii(MailAddress address) {
        return address.toString().chars().allMatch(c -> c < 128);
    }

    static String mailCommand(QueuedMessage message, Extensions ext) {
        Envelope envelope = message.envelope();
        StringBuilder out = new StringBuilder("MAIL FROM:<")
                .append(envelope.sender().map(MailAddress::toString).orElse("")).append('>');
        if (ext.has("SIZE")) {
            out.append(" SIZE=").append(message.content().size());
        }
        if (envelope.bodyType() == Envelope.BodyType.EIGHT_BIT_MIME && ext.has("8BITMIME")) {
            out.append(" BODY=8BITMIME");
        }
        if (usesSmtpUtf8(envelope, ext)) {
            out.append(" SMTPUTF8");
        }
        if (ext.has("DSN")) {
            envelope.dsnReturn().ifPresent(ret -> out.append(" RET=").append(ret.name()));
            envelope.dsnEnvelopeId().ifPresent(id -> out.append(" ENVID=").append(id.xtext()));
        }
        if (ext.has(HandoffKey.KEYWORD)) {
            envelope.handoffKey().ifPresent(key -> out.append(' ').append(HandoffKey.KEYWORD).append('=').append(key.wire()));
        }
        return out.toString();
    }

    /** {@code utf8}: the transaction's MAIL carries SMTPUTF8, so ORCPT may be RFC 6533 unitext. */
    static String rcptCommand(EnvelopeRecipient recipient, Extensions ext, boolean utf8) {
        StringBuilder out = new StringBuilder("RCPT TO:<").append(recipient.address()).append('>');
        if (ext.has("DSN")) {
            if (!recipient.dsnNotify().isEmpty()) {
                out.append(" NOTIFY=").append(String.join(",", recipient.dsnNotify().stream()
                        .map(n -> n.name().toUpperCase(Locale.ROOT)).sorted().toList()));
            }
            recipient.originalRecipient().ifPresent(orcpt -> out.append(" ORCPT=").append(orcpt.parameter(utf8)));
        }
        return out.toString();
    }

    static boolean usesSmtpUtf8(Envelope envelope, Extensions ext) {
        return envelope.smtpUtf8() && ext.has("SMTPUTF8");
    }
}
