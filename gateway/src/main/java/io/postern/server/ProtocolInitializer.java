package io.postern.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;

/**
 * Builds the pipeline of one accepted connection for one kind of listener (SMTP, LMTP, POP3):
 * the shared stages of {@link io.postern.net.ListenerStages} (PROXY, implicit TLS, caps, the
 * protocol's framing, the timeout stage) and the session, or, for a protocol this node's role does
 * not serve, {@link UnservedProtocol}'s refusal.
 */
public interface ProtocolInitializer {
    void initialize(ListenerConfig listener, Channel channel, ChannelPipeline pipeline);
}
