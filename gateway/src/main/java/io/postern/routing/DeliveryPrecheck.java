package io.postern.routing;

import io.postern.config.DeliveryConfig;
import io.postern.delivery.LocalDelivery;
import io.postern.delivery.LocalOutcome;
import io.postern.directory.Directory;
import io.postern.directory.NotInMemory;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link DeliveryForecast} of a node that routes its own mail: the recipient is expanded as
 * {@link RoutingDeliveryAgent} will expand it, and each local mailbox is asked what
 * {@link LocalDelivery#foresee} knows (a Delivered-To loop; with access to the spools, a full
 * mailbox). A recipient is refused only when it leads to local mailboxes only, none with a
 * problem the directory could not answer, and every one of them would fail: one that may
 * succeed, a remote target or a temporary problem makes it deliverable (partial failures are
 * reported by DSN as before). The check stops at the first mailbox that may succeed. May block;
 * the {@code ...Now} verdicts never do (directory answers in memory, no quota to read).
 * Thread-safe, immutable.
 */
public final class DeliveryPrecheck implements DeliveryForecast {
    private final RecipientExpander expander;
    // The same expansion over the directory's in-memory view, for the verdicts told at once.
    private final Optional<RecipientExpander> inMemory;
    private final Optional<LocalDelivery> mda;

    /** {@code mda} empty: the spools are elsewhere (LMTP hand-off): loops are still seen, quotas are not. */
    public DeliveryPrecheck(Directory directory, DeliveryConfig config, Optional<LocalDelivery> mda) {
        this(directory, config, mda, MailboxRouter.noRelayDomains());
    }

    /** Mailboxes that {@code router} sends to a next hop are the next hop's to judge: always deliverable here. */
    public DeliveryPrecheck(Directory directory, DeliveryConfig config, Optional<LocalDelivery> mda,
                            MailboxRouter router) {
        this.expander = new RecipientExpander(directory, config.maxExpansionDepth(), config.maxExpandedRecipients(),
                router);
        this.inMemory = directory.inMemory().map(memory -> new RecipientExpander(memory, config.maxExpansionDepth(),
                config.maxExpandedRecipients(), router));
        this.mda = mda;
    }

    @Override
    public Verdict atRecipient(MailAddress recipient, Optional<MailAddress> verifiedSender,
                               Optional<MailAddress> returnPath, long declaredSize) {
        return forecast(expander, true, recipient, verifiedSender, returnPath, declaredSize, Set.of()).orElseThrow();
    }

    @Override
    public Verdict atEndOfData(MailAddress recipient, Optional<MailAddress> verifiedSender,
                               Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
        return forecast(expander, true, recipient, verifiedSender, returnPath, size, deliveredTo).orElseThrow();
    }

    @Override
    public Optional<Verdict> atRecipientNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                            Optional<MailAddress> returnPath, long declaredSize) {
        return now(recipient, verifiedSender, returnPath, declaredSize, Set.of());
    }

    @Override
    public Optional<Verdict> atEndOfDataNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                            Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
        return now(recipient, verifiedSender, returnPath, size, deliveredTo);
    }

    /** The verdict from the answers in memory, when no spool must be read; else empty. */
    private Optional<Verdict> now(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                  Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
        if (deliveredTo.isEmpty() && mda.isEmpty()) {
            return Optional.of(Verdict.DELIVERABLE);
        }
        if (inMemory.isEmpty()) {
            return Optional.empty();
        }
        try {
            return forecast(inMemory.get(), false, recipient, verifiedSender, returnPath, size, deliveredTo);
        } catch (NotInMemory e) {
            return Optional.empty();
        }
    }

    /** The verdict; empty only when {@code mayBlock} is false and a mailbox's quota needs its spool read. */
    private Optional<Verdict> forecast(RecipientExpander expansions, boolean mayBlock, MailAddress recipient,
                                       Optional<MailAddress> verifiedSender, Optional<MailAddress> returnPath,
                                       long size, Set<String> deliveredTo) {
        if (deliveredTo.isEmpty() && mda.isEmpty()) {
            return Optional.of(Verdict.DELIVERABLE); // nothing this node could know in advance
        }
        Expansion expansion = expansions.expand(recipient, verifiedSender);
        if (expansion.local().isEmpty() || !expansion.remote().isEmpty() || !expansion.relayed().isEmpty()
                || !expansion.problems().isEmpty()) {
            return Optional.of(Verdict.DELIVERABLE);
        }
        Verdict first = Verdict.DELIVERABLE;
        for (Expansion.LocalTarget target : expansion.local()) {
            if (!mayBlock && readsSpool(target)) {
                return Optional.empty();
            }
            Optional<LocalOutcome.PermFailed> failure = foresee(target, returnPath, size, deliveredTo);
            if (failure.isEmpty()) {
                return Optional.of(Verdict.DELIVERABLE);
            }
            if (first == Verdict.DELIVERABLE) {
                first = failure.get().status().equals(EnhancedStatus.LOOP) ? Verdict.LOOP : Verdict.MAILBOX_FULL;
            }
        }
        return Optional.of(first);
    }

    /** Whether {@link LocalDelivery#foresee} reads {@code target}'s spool (its quota): never on an event loop. */
    private boolean readsSpool(Expansion.LocalTarget target) {
        return mda.isPresent() && target.mailbox().quotaBytes().isPresent();
    }

    private Optional<LocalOutcome.PermFailed> foresee(Expansion.LocalTarget target, Optional<MailAddress> returnPath,
                                                      long size, Set<String> deliveredTo) {
        if (mda.isPresent()) {
            return mda.get().foresee(returnPath, target.mailbox(), target.deliveredTo(), size, deliveredTo);
        }
        return LocalDelivery.loops(deliveredTo, target.deliveredTo())
                ? Optional.of(new LocalOutcome.PermFailed(EnhancedStatus.LOOP, "mail forwarding loop")) : Optional.empty();
    }
}
