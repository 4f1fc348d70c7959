/**
 * The network edge every listener shares, and the transport and threads of the node. A connection
 * passes the stages of {@link io.postern.net.ListenerStages} in order: the PROXY protocol decoder
 * (trusted balancers only; {@link io.postern.net.ClientAddress} then answers the carried client
 * address for everyone), implicit TLS, the connection caps per listener and per client, the
 * protocol's framing, the {@link io.postern.net.TimeoutStage} (idle limit and named deadlines on the
 * event loop's ticker, paused while a session waits for off-loop work) and the session. {@link io.postern.net.Transport} picks epoll or NIO
 * for servers and clients alike; {@link io.postern.net.Threads} names every thread the node makes.
 *
 * <p>Depends on config and observability only: protocols, the server and outbound build on it.
 */
package io.postern.net;
