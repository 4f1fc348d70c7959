package io.postern.milter;

import io.postern.mail.EnhancedStatus;

/** The reply catalogue of milter decisions: what a client sees when a milter gave no text of its own. */
public final class MilterReplies {
    public static final EnhancedStatus POLICY_REJECT = EnhancedStatus.of("5.7.1");
    public static final EnhancedStatus POLICY_TEMPFAIL = EnhancedStatus.of("4.7.1");

    /** {@code SMFIR_REJECT} without text. */
    public static final MilterReply REJECTED = new MilterReply(554, POLICY_REJECT, "Message rejected by content filter");
    /** {@code SMFIR_TEMPFAIL} without text. */
    public static final MilterReply TEMPFAILED =
            new MilterReply(451, POLICY_TEMPFAIL, "Message temporarily refused by content filter, try again later");
    /** A milter that failed, when its default action is tempfail: the client's retry is the recovery. */
    public static final MilterReply UNAVAILABLE =
            new MilterReply(451, POLICY_TEMPFAIL, "Content filter unavailable, try again later");

    private MilterReplies() {
    }
}
