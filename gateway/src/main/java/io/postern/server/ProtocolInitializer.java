package io.postern.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;

/**
 * Builds the pipeline of one accepted connection for one kind of listener (SMTP, LMTP, POP3).
 * The server adds connection accounting and implicit TLS in front of it; the protocol adds its
 * framing and session handlers.
 */
public interface ProtocolInitializer {
    void initialize(ListenerConfig listener, Channel channel, ChannelPipeline pipeline);
}
