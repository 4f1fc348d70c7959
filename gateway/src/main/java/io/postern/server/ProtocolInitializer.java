package io.postern.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;

/**
 * Adds a protocol's handlers to the pipeline of one accepted connection of one listener kind
 * (SMTP, submission, LMTP, POP3), once per connection on its event loop. What the server put in
 * front of them (implicit TLS, when the listener has it) is already in {@code pipeline}; the
 * protocol adds the rest (its own implicit TLS when the server has not, framing, session).
 */
public interface ProtocolInitializer {
    void initialize(ListenerConfig listener, Channel channel, ChannelPipeline pipeline);
}
