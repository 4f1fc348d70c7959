package io.postern.milter;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.MilterConfig;
import io.postern.mail.MessageContent;
import io.postern.observability.LogLine;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The milters of one listener, asked in order about each message before DATA/BDAT is answered.
 * The first milter that rejects, tempfails or discards decides and the rest are not asked;
 * edits of the milters that accepted add up in order; a quarantine by any of them holds the
 * message. Each milter sees the message as received (edits are applied after the chain), as
 * listed in docs/filtering.md. Thread-safe: one chain serves every session of its listener;
 * {@link #check} blocks the calling (virtual) thread for at most the milters' timeouts.
 */
public final class MilterChain implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MilterChain.class);
    private static final MilterChain NONE = new MilterChain(List.of());

    private final List<MilterClient> milters;

    public MilterChain(List<MilterClient> milters) {
        this.milters = List.copyOf(milters);
    }

    /** A chain for the listener's configured milters ({@code PosternConfig.miltersOf(listener)}). */
    public static MilterChain of(List<MilterConfig> configs, MeterRegistry registry) {
        return configs.isEmpty() ? NONE
                : new MilterChain(configs.stream().map(c -> new MilterClient(c, registry)).toList());
    }

    public boolean isEmpty() {
        return milters.isEmpty();
    }

    /** Asks every milter in turn; never throws for a milter's failure (that is its default action). */
    public MilterVerdict check(MilterContext ctx, MessageContent message) {
        List<Modification> edits = new ArrayList<>();
        String quarantinedBy = null;
        String reason = null;
        for (MilterClient milter : milters) {
            switch (milter.check(ctx, message)) {
                case MilterResult.Accepted a -> {
                    edits.addAll(a.modifications());
                    if (a.quarantine().isPresent() && quarantinedBy == null) {
                        quarantinedBy = milter.name();
                        reason = a.quarantine().get();
                    }
                }
                case MilterResult.Refused r -> {
                    LogLine.event(r.reply().isPermanent() ? "milter-reject" : "milter-tempfail")
                            .add("milter", milter.name()).add("queue_id", ctx.queueId())
                            .add("client", ctx.clientAddress()).add("sender", ctx.sender())
                            .add("reply", r.reply().toString()).info(LOG);
                    return r.reply().isPermanent() ? new MilterVerdict.Reject(milter.name(), r.reply())
                            : new MilterVerdict.TempFail(milter.name(), r.reply());
                }
                case MilterResult.Discarded d -> {
                    LogLine.event("milter-discard").add("milter", milter.name()).add("queue_id", ctx.queueId())
                            .add("sender", ctx.sender()).info(LOG);
                    return new MilterVerdict.Discard(milter.name());
                }
            }
        }
        if (quarantinedBy != null) {
            LogLine.event("milter-quarantine").add("milter", quarantinedBy).add("queue_id", ctx.queueId())
                    .add("client", ctx.clientAddress()).add("sender", ctx.sender()).add("reason", reason).info(LOG);
            return new MilterVerdict.Quarantine(quarantinedBy, reason, edits);
        }
        return new MilterVerdict.Accept(edits);
    }

    /**
     * The SMTP connection of {@code ctx} ended: the milter connections kept for its next message
     * are closed (the session calls this once, at QUIT or disconnect).
     */
    public void sessionEnded(MilterContext ctx) {
        MilterContext.ConnectionKey key = ctx.connectionKey();
        milters.forEach(m -> m.sessionEnded(key));
    }

    @Override
    public void close() {
        milters.forEach(MilterClient::close);
    }
}
