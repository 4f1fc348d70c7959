package io.postern.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;

/**
 * Builds the pipeline of one accepted connection for one kind of listener (SMTP, LMTP, POP3):
 * the shared stages of {@link io.postern.net.ListenerStages} (PROXY, implicit TLS, caps), then the
 * protocol's framing, timeouts and session.
 */
public interface ProtocolInitializer {
    void initialize(ListenerConfig listener, Channel channel, ChannelPipeline pipeline);
}
