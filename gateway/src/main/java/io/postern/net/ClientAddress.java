package io.postern.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The one answer to "who is the client of this connection": the address a trusted balancer
 * carried in its PROXY header, else the TCP peer. Relay decisions, connection caps, the login
 * throttle, logs and {@code Received:} all read it here, so none of them sees the balancer.
 * Stateless; the carried address lives on the channel.
 */
public final class ClientAddress {
    private static final AttributeKey<InetSocketAddress> CARRIED = AttributeKey.valueOf("postern.client-address");

    private ClientAddress() {
    }

    /** The client's address (carried, else the peer); loopback for a channel without a socket (tests). */
    public static InetAddress of(Channel channel) {
        return socket(channel).getAddress();
    }

    /** The client's address and port. */
    public static InetSocketAddress socket(Channel channel) {
        InetSocketAddress carried = channel.attr(CARRIED).get();
        return carried != null ? carried : peerSocket(channel);
    }

    /** The balancer that carried the client address, if one did. */
    public static Optional<InetAddress> proxy(Channel channel) {
        return channel.attr(CARRIED).get() == null ? Optional.empty() : Optional.of(peer(channel));
    }

    /** The TCP peer itself, whatever it carried. */
    public static InetAddress peer(Channel channel) {
        return peerSocket(channel).getAddress();
    }

    static void carry(Channel channel, InetSocketAddress client) {
        channel.attr(CARRIED).set(client);
    }

    private static InetSocketAddress peerSocket(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a : new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }
}
