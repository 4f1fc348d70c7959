package io.postern.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.postern.config.AdminConfig;
import io.postern.net.Threads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One admin socket: HTTP/1.1, one request per connection, answered by an {@link AdminRoute}.
 * The pipeline, top to bottom: connection limit, request deadline, HTTP codec with bounded line
 * and header sizes, body aggregator (1 KiB), Host check, then the route on a virtual thread.
 * Thread-safe; {@link #close()} stops listening and drops open connections.
 */
public final class AdminHttpServer implements AutoCloseable {
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;
    static final int MAX_BODY = 1024;

    private final EventLoopGroup group;
    private final ExecutorService routes;
    private final Channel channel;

    private AdminHttpServer(EventLoopGroup group, ExecutorService routes, Channel channel) {
        this.group = group;
        this.routes = routes;
        this.channel = channel;
    }

    /** Binds {@code address:port} (0: any free port) with the limits and Host names of {@code config}. */
    public static AdminHttpServer start(String name, String address, int port, AdminConfig config, AdminRoute route)
            throws IOException {
        HostPolicy hosts = HostPolicy.of(config.allowedHosts());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                Threads.daemonPlatform(name + "-http"), NioIoHandler.newFactory());
        ExecutorService routes = Threads.virtual(name + "-route");
        AtomicInteger open = new AtomicInteger();
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 64)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > config.maxConnections()) {
                            open.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline()
                                .addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(MAX_INITIAL_LINE).setMaxHeaderSize(MAX_HEADER_SIZE)))
                                .addLast("aggregator", new HttpObjectAggregator(MAX_BODY, true))
                                .addLast("request", new RequestHandler(config.requestTimeout(), hosts, route, routes));
                    }
                });
        try {
            Channel channel = bootstrap.bind(new InetSocketAddress(address, port)).sync().channel();
            return new AdminHttpServer(group, routes, channel);
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            routes.shutdownNow();
            throw new IOException("admin " + name + ": cannot listen on " + address + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        routes.shutdownNow();
    }

    /** Mutable, one per connection, used on its event loop only (the route's answer is written from its thread). */
    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Duration timeout;
        private final HostPolicy hosts;
        private final AdminRoute route;
        private final ExecutorService routes;
        private ScheduledFuture<?> deadline;
        private boolean answered;

        RequestHandler(Duration timeout, HostPolicy hosts, AdminRoute route, ExecutorService routes) {
            this.timeout = timeout;
            this.hosts = hosts;
            this.route = route;
            this.routes = routes;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            // The whole request must arrive within the deadline, however slowly its bytes drip.
            deadline = ctx.executor().schedule(() -> respond(ctx, false, AdminReplies.TIMEOUT),
                    timeout.toMillis(), TimeUnit.MILLISECONDS);
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (deadline != null) {
                deadline.cancel(false);
            }
            super.channelInactive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (answered) {
                return;
            }
            deadline.cancel(false);
            boolean head = request.method().equals(HttpMethod.HEAD);
            if (request.decoderResult().isFailure()) {
                respond(ctx, head, request.decoderResult().cause() instanceof TooLongFrameException
                        ? AdminReplies.TOO_LARGE : AdminReplies.BAD_REQUEST);
                return;
            }
            switch (hosts.check(request.headers().getAll(HttpHeaderNames.HOST))) {
                case MALFORMED -> respond(ctx, head, AdminReplies.BAD_HOST);
                case MISDIRECTED -> respond(ctx, head, AdminReplies.MISDIRECTED);
                case ALLOWED -> {
                    AdminRequest adminRequest = toAdminRequest(request, head);
                    answered = true;
                    routes.execute(() -> {
                        AdminReply reply;
                        try {
                            reply = route.handle(adminRequest);
                        } catch (RuntimeException e) {
                            reply = AdminReplies.internalError(e);
                        }
                        write(ctx, head, reply);
                    });
                }
            }
        }

        private static AdminRequest toAdminRequest(FullHttpRequest request, boolean head) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String raw = request.uri();
            int q = raw.indexOf('?');
            Map<String, String> headers = new HashMap<>();
            request.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
            return new AdminRequest(head ? "GET" : request.method().name(), uri.rawPath(),
                    q < 0 ? null : raw.substring(q + 1), headers);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void respond(ChannelHandlerContext ctx, boolean head, AdminReply reply) {
            if (answered) {
                return;
            }
            answered = true;
            write(ctx, head, reply);
        }

        private static void write(ChannelHandlerContext ctx, boolean head, AdminReply reply) {
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()), head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (reply.status() == 401) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"postern\"");
            }
            if (reply == AdminReplies.METHOD_NOT_ALLOWED) {
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            }
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
