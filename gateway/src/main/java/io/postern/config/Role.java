package io.postern.config;

/** What a node does; see architecture.md "Roles". */
public enum Role {
    /** SMTP, submission, LMTP, POP3; owns sessions, policy, the queue and outbound delivery. */
    FRONT,
    /** LMTP only; writes into spools on shared storage. */
    DELIVERY,
    /** Everything in one process; local delivery is an in-process call. */
    ALL
}
