package io.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.outbound.dns.MxHost;
import io.postern.outbound.dns.MxResolver;
import io.postern.outbound.dns.Route;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;

/**
 * Delivers remote mail by SMTP: recipients grouped by domain, each domain's MX resolved (or the
 * relay host used for all), one result per recipient. Mutable only in its connection pool;
 * thread-safe. Close it to end idle sessions and the client's event loops.
 */
public final class OutboundDelivery implements DeliveryAgent, AutoCloseable {
    private static final String RELAY_GROUP = "";

    private final OutboundConfig config;
    private final MxResolver resolver;
    private final MailSender sender;

    private OutboundDelivery(OutboundConfig config, MxResolver resolver, MailSender sender) {
        this.config = config;
        this.resolver = resolver;
        this.sender = sender;
    }

    /** The agent for the {@code front} and {@code all} roles; {@code heloHostname} is this node's name (node.hostname). */
    public static OutboundDelivery create(OutboundConfig config, String heloHostname, MeterRegistry registry) {
        List<InetSocketAddress> servers = config.dnsServers().stream()
                .map(hp -> new InetSocketAddress(hp.host(), hp.port())).toList();
        MxResolver resolver = new MxResolver(servers, config.dnsTimeout(), RandomGenerator.getDefault());
        return new OutboundDelivery(config, resolver,
                MailSender.start(config, heloHostname, SmtpClient.Protocol.SMTP, registry));
    }

    @Override
    public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        Map<String, List<EnvelopeRecipient>> groups = new LinkedHashMap<>();
        for (EnvelopeRecipient r : recipients) {
            String group = config.relayHost().isPresent() ? RELAY_GROUP : r.address().domain();
            groups.computeIfAbsent(group, g -> new ArrayList<>()).add(r);
        }
        List<CompletableFuture<List<DeliveryResult>>> parts = new ArrayList<>();
        groups.forEach((domain, list) -> parts.add(sender.async(list, () -> deliverGroup(domain, message, list))));
        return MailSender.all(parts);
    }

    private List<DeliveryResult> deliverGroup(String domain, QueuedMessage message, List<EnvelopeRecipient> recipients) {
        if (config.relayHost().isPresent()) {
            OutboundConfig.RelayHost relay = config.relayHost().get();
            List<MailSender.Target> targets = new ArrayList<>();
            try {
                for (InetAddress address : InetAddress.getAllByName(relay.address().host())) {
                    targets.add(new MailSender.Target(relay.address().host(),
                            new InetSocketAddress(address, relay.address().port())));
                }
            } catch (UnknownHostException e) {
                return sender.everyone(recipients, Diagnostics.NO_ADDRESS_CODE,
                        Diagnostics.unresolvable(relay.address().toString(), "unknown host"));
            }
            Optional<SmtpClient.Credentials> credentials = relay.username()
                    .map(user -> new SmtpClient.Credentials(user, relay.password().orElse("")));
            return sender.send(new MailSender.Destination("relay:" + relay.address(), targets, relay.tls(), credentials),
                    message, recipients);
        }
        return switch (resolver.resolve(domain)) {
            case Route.PermanentFailure f -> sender.everyone(recipients, f.enhancedCode(), f.reason());
            case Route.TemporaryFailure f -> sender.everyone(recipients, f.enhancedCode(), f.reason());
            case Route.Hosts hosts -> {
                List<MailSender.Target> targets = new ArrayList<>();
                for (MxHost host : hosts.hosts()) {
                    for (InetAddress address : host.addresses()) {
                        targets.add(new MailSender.Target(host.name(), new InetSocketAddress(address, config.port())));
                    }
                }
                yield sender.send(new MailSender.Destination(domain, targets, config.tlsPolicyFor(domain), Optional.empty(),
                                admittedByTheQueue(message, recipients)),
                        message, recipients);
            }
        };
    }

    /**
     * Whether every recipient is one of the envelope's own: then the queue admitted them by their
     * domain, and its destination table holds this delivery's slot. An address an alias or forward
     * led to is a destination the queue never saw, capped by the client instead.
     */
    static boolean admittedByTheQueue(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        Set<MailAddress> own = new HashSet<>();
        message.envelope().recipients().forEach(r -> own.add(r.address()));
        return recipients.stream().allMatch(r -> own.contains(r.address()));
    }

    /** Idle sessions currently kept for reuse (for tests and the admin page). */
    public int idleConnections() {
        return sender.idleConnections();
    }

    @Override
    public void close() {
        sender.close();
    }
}
