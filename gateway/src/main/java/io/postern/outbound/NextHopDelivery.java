package io.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.NextHop;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.outbound.dns.MxHost;
import io.postern.outbound.dns.MxResolver;
import io.postern.outbound.dns.Route;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;

/**
 * Carries mail to a configured next hop (a relay domain's internal server, a user's home server):
 * {@code smtp:[host]:port} to that host's addresses, {@code smtp:host:port} to the MX of
 * {@code host}, {@code lmtp:host:port} over LMTP. The outbound SMTP client's limits, timeouts,
 * pooling and TLS policy ({@code outbound.tls}, per host name) apply; LMTP never uses TLS. A next
 * hop that is down or cannot be resolved defers (4.4.x), and the queue retries. The relay host
 * ({@code outbound.relayHost}) is not used: a next hop is the destination itself. Thread-safe;
 * close it to end its sessions and event loops.
 */
public final class NextHopDelivery implements AutoCloseable {
    private final OutboundConfig config;
    private final MxResolver resolver;
    private final MailSender smtp;
    private final MailSender lmtp;

    private NextHopDelivery(OutboundConfig config, MxResolver resolver, MailSender smtp, MailSender lmtp) {
        this.config = config;
        this.resolver = resolver;
        this.smtp = smtp;
        this.lmtp = lmtp;
    }

    /** {@code heloHostname}: this node's name (node.hostname), for EHLO and LHLO. */
    public static NextHopDelivery create(OutboundConfig config, String heloHostname, MeterRegistry registry) {
        List<InetSocketAddress> servers = config.dnsServers().stream()
                .map(hp -> new InetSocketAddress(hp.host(), hp.port())).toList();
        MxResolver resolver = new MxResolver(servers, config.dnsTimeout(), RandomGenerator.getDefault());
        MailSender smtp = MailSender.start(config, heloHostname, SmtpClient.Protocol.SMTP, registry);
        MailSender lmtp = MailSender.start(config, heloHostname, SmtpClient.Protocol.LMTP, registry);
        return new NextHopDelivery(config, resolver, smtp, lmtp);
    }

    /** The agent that delivers every recipient it is given to {@code hop}. */
    public DeliveryAgent to(NextHop hop) {
        return (message, recipients) -> deliver(hop, message, recipients);
    }

    private CompletableFuture<List<DeliveryResult>> deliver(NextHop hop, QueuedMessage message,
                                                            List<EnvelopeRecipient> recipients) {
        if (recipients.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        MailSender sender = hop.protocol() == NextHop.Protocol.LMTP ? lmtp : smtp;
        return sender.async(recipients, () -> send(sender, hop, message, recipients));
    }

    private List<DeliveryResult> send(MailSender sender, NextHop hop, QueuedMessage message,
                                      List<EnvelopeRecipient> recipients) {
        List<MailSender.Target> targets = new ArrayList<>();
        if (hop.mxLookup()) {
            switch (resolver.resolve(hop.host())) {
                case Route.PermanentFailure f -> {
                    // A configured next hop without MX is the operator's mistake: wait for the fix, never bounce.
                    return sender.everyone(recipients, Diagnostics.NO_ADDRESS_CODE, f.reason());
                }
                case Route.TemporaryFailure f -> {
                    return sender.everyone(recipients, f.enhancedCode(), f.reason());
                }
                case Route.Hosts hosts -> {
                    for (MxHost host : hosts.hosts()) {
                        for (InetAddress address : host.addresses()) {
                            targets.add(new MailSender.Target(host.name(), new InetSocketAddress(address, hop.port())));
                        }
                    }
                }
            }
        } else {
            try {
                for (InetAddress address : InetAddress.getAllByName(hop.host())) {
                    targets.add(new MailSender.Target(hop.host(), new InetSocketAddress(address, hop.port())));
                }
            } catch (UnknownHostException e) {
                return sender.everyone(recipients, Diagnostics.NO_ADDRESS_CODE,
                        Diagnostics.unresolvable(hop.toString(), "unknown host"));
            }
        }
        OutboundConfig.TlsPolicy tls = hop.protocol() == NextHop.Protocol.LMTP
                ? OutboundConfig.TlsPolicy.NONE : config.tlsPolicyFor(hop.host());
        return sender.send(new MailSender.Destination("next-hop:" + hop, targets, tls, Optional.empty()),
                message, recipients);
    }

    @Override
    public void close() {
        smtp.close();
        lmtp.close();
    }
}
