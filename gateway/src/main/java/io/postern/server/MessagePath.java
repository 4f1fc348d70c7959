package io.postern.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Directory;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageSink;
import io.postern.outbound.LmtpHandoff;
import io.postern.outbound.NextHopDelivery;
import io.postern.outbound.OutboundDelivery;
import io.postern.queue.MailQueue;
import io.postern.routing.DeliveryPrecheck;
import io.postern.routing.LocalDeliverySink;
import io.postern.routing.MailboxRouter;
import io.postern.routing.NextHops;
import io.postern.routing.RoutingDeliveryAgent;
import java.util.Optional;

/**
 * The parts a message travels through after a front end accepted it, as the role needs them
 * (architecture.md, "Roles"):
 * <ul>
 * <li>{@code all}: queue, routing, in-process MDA, outbound SMTP; LMTP delivers in process.</li>
 * <li>{@code front}: queue, routing, outbound SMTP; local mailboxes go to the LMTP delivery
 * workers in {@code outbound.lmtpTargets} (in process when that list is empty), an all-local
 * message before its {@code 250} when a worker takes it at once.</li>
 * <li>{@code delivery}: no queue; LMTP delivers into the spools.</li>
 * </ul>
 */
record MessagePath(Optional<MailQueue> queue, MessageSink lmtpSink, DeliveryAgent routing, DeliveryForecast forecast) {

    static MessagePath start(PosternConfig config, Directory directory, MeterRegistry registry, Resources resources)
            throws Exception {
        Role role = config.node().role();
        String hostname = config.node().hostname();
        boolean handOff = role == Role.FRONT && !config.outbound().lmtpTargets().isEmpty();

        Optional<DeliveryAgent> remote = Optional.empty();
        MailboxRouter router = new MailboxRouter(config.routing(), hostname);
        NextHops nextHops = new NextHops(router, Optional.empty());
        if (role != Role.DELIVERY) {
            remote = Optional.of(resources.add(OutboundDelivery.create(config.outbound(), hostname, registry)));
            NextHopDelivery onward = resources.add(NextHopDelivery.create(config.outbound(), hostname, registry));
            nextHops = new NextHops(router, Optional.of(onward::to));
        }
        RoutingDeliveryAgent routing;
        DeliveryForecast forecast;
        if (handOff) {
            LmtpHandoff lmtp = resources.add(LmtpHandoff.create(config.outbound(), hostname, registry, origin(config)));
            routing = RoutingDeliveryAgent.withLmtpHandOff(directory, lmtp, remote, nextHops, config.delivery(),
                    registry);
            forecast = new DeliveryPrecheck(directory, config.delivery(), Optional.empty(), router);
        } else {
            LocalDelivery mda = new LocalDelivery(config.spool(), hostname, registry);
            routing = new RoutingDeliveryAgent(directory, mda, remote, nextHops, config.delivery(), registry);
            forecast = new DeliveryPrecheck(directory, config.delivery(), Optional.of(mda), router);
        }
        resources.add(routing);
        LocalDeliverySink lmtpSink = resources.add(new LocalDeliverySink(routing, config.delivery()));

        Optional<MailQueue> queue = Optional.empty();
        if (role != Role.DELIVERY) {
            MailQueue started = resources.add(MailQueue.start(config.queue(), hostname, postmaster(config), registry));
            started.setDeliveryAgent(routing);
            if (role == Role.ALL || handOff) {
                // All-local messages go to the spools (all) or to a delivery worker (front) before 250, not the queue.
                started.setDirectDelivery(routing);
            }
            queue = Optional.of(started);
        }
        return new MessagePath(queue, lmtpSink, routing, forecast);
    }

    /** Where undeliverable bounces go: {@code queue.postmaster}, else postmaster of the first local domain. */
    static MailAddress postmaster(PosternConfig config) {
        String domain = config.domains().isEmpty() ? config.node().hostname() : config.domains().get(0);
        return config.queue().postmaster().flatMap(MailAddress::parse)
                .orElse(new MailAddress("postmaster", domain));
    }

    /** SMTP and submission hand messages to the queue; a delivery node has none. */
    Optional<MessageSink> smtpSink() {
        return queue.map(MailQueue::sink);
    }

    /**
     * Names this front's queue in hand-off keys (queue ids are unique only within one queue): the
     * machine's name (the pod's on Kubernetes, where every front shares node.hostname) and a hash
     * of the queue folder (several fronts on one machine).
     */
    static String origin(PosternConfig config) {
        String machine = System.getenv().getOrDefault("HOSTNAME", "");
        if (machine.isBlank()) {
            try {
                machine = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                machine = config.node().hostname();
            }
        }
        String folder = config.queue().directory().toAbsolutePath().normalize().toString();
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(folder.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            String safe = io.postern.mail.HandoffKey.safeOrigin(machine);
            return (safe.length() > 50 ? safe.substring(0, 50) : safe) + "-"
                    + java.util.HexFormat.of().formatHex(digest, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
