package io.postern.routing;

import io.postern.directory.Directory;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expands one address through the directory: alias to its targets, group to its members (nested
 * groups too), forward to its targets plus the mailbox when it keeps a copy; a subaddress is
 * already its base mailbox ({@link Directory#resolve}). Each mailbox reached is then placed by the
 * {@link MailboxRouter}: here, or on to a next hop (relay domain, home server). Every address is
 * expanded at most once, which removes duplicates and ends loops; depth and size are bounded. May
 * block on the directory. Immutable, thread-safe.
 */
public final class RecipientExpander {
    private static final Logger LOG = LoggerFactory.getLogger(RecipientExpander.class);

    private final Directory directory;
    private final int maxDepth;
    private final int maxTargets;
    private final MailboxRouter router;

    /** Without relay domains (home servers are still honoured). */
    public RecipientExpander(Directory directory, int maxDepth, int maxTargets) {
        this(directory, maxDepth, maxTargets, MailboxRouter.noRelayDomains());
    }

    public RecipientExpander(Directory directory, int maxDepth, int maxTargets, MailboxRouter router) {
        if (maxDepth < 1 || maxTargets < 1) {
            throw new IllegalArgumentException("expansion limits must be at least 1");
        }
        this.directory = directory;
        this.maxDepth = maxDepth;
        this.maxTargets = maxTargets;
        this.router = router;
    }

    /**
     * Expands {@code recipient} for a message from {@code sender} (empty: the null sender of a
     * bounce). A group that lists allowed senders, at any depth, refuses everyone else (5.7.1).
     */
    public Expansion expand(MailAddress recipient, Optional<MailAddress> sender) {
        Walk walk = new Walk(recipient, sender.map(MailAddress::key));
        walk.visit(recipient, 0);
        return walk.result();
    }

    /** One expansion's mutable state. */
    private final class Walk {
        private final MailAddress recipient;
        private final Optional<String> sender;
        private final Set<String> seen = new HashSet<>();
        private final Set<String> path = new HashSet<>();
        private final Map<String, Expansion.LocalTarget> local = new LinkedHashMap<>();
        private final Map<String, MailAddress> remote = new LinkedHashMap<>();
        private final Map<String, Expansion.RelayedTarget> relayed = new LinkedHashMap<>();
        private final List<Expansion.Problem> problems = new ArrayList<>();
        private boolean loop;
        private boolean tooMany;

        Walk(MailAddress recipient, Optional<String> sender) {
            this.recipient = recipient;
            this.sender = sender;
        }

        void visit(MailAddress address, int depth) {
            String key = address.key();
            if (!seen.add(key)) {
                if (path.contains(key)) {
                    loop = true;
                }
                return;
            }
            if (depth > maxDepth) {
                problems.add(new Expansion.Problem.Permanent(address, EnhancedStatus.LOOP,
                        "expansion deeper than " + maxDepth + " levels"));
                return;
            }
            switch (directory.isLocalDomain(address.domain())) {
                case Lookup.TempFail<Boolean> t -> {
                    problems.add(new Expansion.Problem.Temporary(address, EnhancedStatus.DIRECTORY_UNAVAILABLE, "directory unavailable"));
                    return;
                }
                case Lookup.Found<Boolean> f when !f.value() -> {
                    addRemote(address);
                    return;
                }
                case Lookup.Found<Boolean> f -> {
                    // local: resolve below
                }
            }
            switch (directory.resolve(address)) {
                case Lookup.TempFail<Recipient> t ->
                        problems.add(new Expansion.Problem.Temporary(address, EnhancedStatus.DIRECTORY_UNAVAILABLE, "directory unavailable"));
                case Lookup.Found<Recipient> f -> {
                    path.add(key);
                    resolved(address, f.value(), depth);
                    path.remove(key);
                }
            }
        }

        private void resolved(MailAddress address, Recipient recipient, int depth) {
            switch (recipient) {
                case Recipient.Mailbox mailbox -> addLocal(mailbox, address);
                case Recipient.Alias alias -> alias.targets().forEach(t -> visit(t, depth + 1));
                case Recipient.Group group -> {
                    if (mayPost(group)) {
                        group.members().forEach(m -> visit(m, depth + 1));
                    } else {
                        problems.add(new Expansion.Problem.Permanent(address, EnhancedStatus.NOT_AUTHORIZED,
                                "sender not allowed to post to this group"));
                    }
                }
                case Recipient.Forward forward -> {
                    if (forward.keepCopy()) {
                        addLocal(forward.mailbox(), address);
                    }
                    forward.targets().forEach(t -> visit(t, depth + 1));
                }
                case Recipient.Unknown unknown ->
                        problems.add(new Expansion.Problem.Permanent(address, EnhancedStatus.NO_SUCH_USER, "no such user"));
            }
        }

        private boolean mayPost(Recipient.Group group) {
            return group.allowedSenders().isEmpty() || sender.isPresent()
                    && group.allowedSenders().stream().anyMatch(a -> a.key().equals(sender.get()));
        }

        private void addLocal(Recipient.Mailbox mailbox, MailAddress deliveredTo) {
            if (mailbox.disabled()) {
                problems.add(new Expansion.Problem.Permanent(deliveredTo, EnhancedStatus.MAILBOX_DISABLED, "mailbox disabled"));
                return;
            }
            switch (router.route(mailbox, deliveredTo)) {
                case Route.Local l -> {
                    String key = mailbox.address().key();
                    if (!local.containsKey(key) && room()) {
                        local.put(key, new Expansion.LocalTarget(mailbox, deliveredTo));
                    }
                }
                case Route.Relayed r -> {
                    if (!relayed.containsKey(deliveredTo.key()) && room()) {
                        relayed.put(deliveredTo.key(), new Expansion.RelayedTarget(deliveredTo, r));
                    }
                }
                // Nothing lost and nothing in a spool its owner does not read: it waits for a fix.
                case Route.Invalid i -> problems.add(new Expansion.Problem.Temporary(deliveredTo,
                        EnhancedStatus.ROUTING_UNREADABLE, i.reason()));
            }
        }

        private void addRemote(MailAddress address) {
            if (!remote.containsKey(address.key()) && room()) {
                remote.put(address.key(), address);
            }
        }

        private boolean room() {
            if (local.size() + remote.size() + relayed.size() < maxTargets) {
                return true;
            }
            if (!tooMany) {
                tooMany = true;
                problems.add(new Expansion.Problem.Permanent(recipient, EnhancedStatus.TOO_MANY_RECIPIENTS_PERMANENT,
                        "expands to more than " + maxTargets + " recipients"));
            }
            return false;
        }

        Expansion result() {
            if (local.isEmpty() && remote.isEmpty() && relayed.isEmpty() && problems.isEmpty()) {
                LogLine.event("expansion-empty").add("recipient", recipient).add("loop", loop).warn(LOG);
                problems.add(new Expansion.Problem.Permanent(recipient, EnhancedStatus.LOOP,
                        loop ? "alias or forward loop" : "expands to no recipient"));
            } else if (loop) {
                LogLine.event("expansion-loop-cut").add("recipient", recipient).info(LOG);
            }
            return new Expansion(recipient, List.copyOf(local.values()), List.copyOf(remote.values()), problems,
                    List.copyOf(relayed.values()));
        }
    }
}
