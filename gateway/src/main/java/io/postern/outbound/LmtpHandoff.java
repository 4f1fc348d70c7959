package io.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code front} role's hand-off of local mail to delivery workers over LMTP (RFC 2033): the
 * configured targets ({@code outbound.lmtpTargets}, host:port; a Kubernetes Service name works,
 * resolved by the system resolver at each delivery) are tried in order, the next one when a target
 * is down or refuses the session. One reply per recipient after DATA: 2xx DELIVERED, 4xx DEFERRED,
 * 5xx FAILED. LMTP runs inside the cluster network: no STARTTLS. Thread-safe.
 */
public final class LmtpHandoff implements DeliveryAgent, AutoCloseable {
    private final OutboundConfig config;
    private final MailSender sender;

    private LmtpHandoff(OutboundConfig config, MailSender sender) {
        this.config = config;
        this.sender = sender;
    }

    public static LmtpHandoff create(OutboundConfig config, String lhloHostname, MeterRegistry registry) {
        return new LmtpHandoff(config, MailSender.start(config, lhloHostname, SmtpClient.Protocol.LMTP, registry));
    }

    @Override
    public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        if (recipients.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        return sender.async(recipients, () -> {
            List<MailSender.Target> targets = new ArrayList<>();
            String unresolved = "";
            for (OutboundConfig.HostPort target : config.lmtpTargets()) {
                try {
                    for (InetAddress address : InetAddress.getAllByName(target.host())) {
                        targets.add(new MailSender.Target(target.host(), new InetSocketAddress(address, target.port())));
                    }
                } catch (UnknownHostException e) {
                    unresolved = target.toString();
                }
            }
            if (targets.isEmpty() && !unresolved.isEmpty()) {
                return sender.everyone(recipients, Diagnostics.NO_ADDRESS_CODE,
                        Diagnostics.unresolvable(unresolved, "unknown host"));
            }
            return sender.send(new MailSender.Destination("lmtp", targets, OutboundConfig.TlsPolicy.NONE, Optional.empty()),
                    message, recipients);
        });
    }

    @Override
    public void close() {
        sender.close();
    }
}
