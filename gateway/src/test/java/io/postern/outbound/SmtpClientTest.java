package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.postern.mail.EnhancedStatus;
import io.postern.net.Transport;
import io.postern.config.OutboundConfig;
import io.postern.testing.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server that answers STARTTLS with "220" and, in the same packet, a forged plaintext reply
 * (the CVE-2011-0411 pattern seen from the client side): the client must not start TLS on top
 * of it, because the forged reply would be read as the server's answer after TLS.
 */
class SmtpClientTest {

    @Test
    void plaintextBehindTheStarttlsReplyDropsTheSession() throws Exception {
        List<String> commands = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                    out.write("220 evil ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    String line;
                    while ((line = in.readLine()) != null) {
                        commands.add(line);
                        String reply = line.startsWith("EHLO") ? "250-evil\r\n250 STARTTLS\r\n"
                                : line.equals("STARTTLS") ? "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"
                                : "250 ok\r\n";
                        out.write(reply.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (Exception e) {
                    // the client hung up
                }
            });
            Transport transport = Transport.best();
            EventLoopGroup group = transport.newGroup("test-client", 1);
            try {
                OutboundConfig config = OutboundConfig.defaults();
                SmtpClient client = new SmtpClient(new Bootstrap().group(group).channel(transport.clientChannel()), config,
                        "postern.test", SmtpClient.Protocol.SMTP, new OutboundMetrics(new SimpleMeterRegistry()));
                SmtpClient.Opened opened = client.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        server.getLocalPort()), "evil.test", OutboundConfig.TlsPolicy.REQUIRED, Optional.empty());
                assertThat(opened).isInstanceOfSatisfying(SmtpClient.Opened.Unavailable.class, u -> {
                    assertThat(u.enhancedCode()).isEqualTo(EnhancedStatus.of("4.7.5"));
                    assertThat(u.diagnostic()).contains("sent data behind its reply to STARTTLS");
                    assertThat(u.permanent()).isFalse();
                });
                peer.join(5000);
                assertThat(commands).containsExactly("EHLO postern.test", "STARTTLS");
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void opportunisticTlsFallsBackToPlaintextWhenTheHandshakeFails() throws Exception {
        List<List<String>> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofVirtual().start(() -> {
                for (int session = 0; session < 3; session++) {
                    List<String> commands = new java.util.concurrent.CopyOnWriteArrayList<>();
                    sessions.add(commands);
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(60_000);
                        OutputStream out = s.getOutputStream();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                        out.write("220 broken-tls ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                        String line;
                        while ((line = in.readLine()) != null) {
                            commands.add(line);
                            if (line.equals("STARTTLS")) {
                                // Accept, then answer the ClientHello with garbage: the handshake fails.
                                out.write("220 go ahead\r\n".getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                in.read(); // the ClientHello has begun: answer it with garbage
                                out.write("this is not TLS\r\n".getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                break;
                            }
                            String reply = line.startsWith("EHLO") ? "250-broken-tls\r\n250 STARTTLS\r\n" : "250 ok\r\n";
                            out.write(reply.getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (Exception e) {
                        // the client hung up
                    }
                }
            });
            Transport transport = Transport.best();
            EventLoopGroup group = transport.newGroup("test-client", 1);
            try {
                SmtpClient client = new SmtpClient(new Bootstrap().group(group).channel(transport.clientChannel()),
                        OutboundConfig.defaults(), "postern.test", SmtpClient.Protocol.SMTP,
                        new OutboundMetrics(new SimpleMeterRegistry()));
                SmtpClient.Opened opened = client.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        server.getLocalPort()), "broken.test", OutboundConfig.TlsPolicy.OPPORTUNISTIC, Optional.empty());
                assertThat(opened).isInstanceOf(SmtpClient.Opened.Ready.class);
                SmtpConnection connection = ((SmtpClient.Opened.Ready) opened).connection();
                assertThat(connection.tls()).isFalse();
                assertThat(connection.command("NOOP", java.time.Duration.ofSeconds(5)).code()).isEqualTo(250);
                connection.close();

                // Where TLS is required there is no plaintext retry: the host is unavailable.
                SmtpClient.Opened required = client.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        server.getLocalPort()), "broken.test", OutboundConfig.TlsPolicy.REQUIRED, Optional.empty());
                assertThat(required).isInstanceOfSatisfying(SmtpClient.Opened.Unavailable.class,
                        u -> assertThat(u.enhancedCode()).isEqualTo(EnhancedStatus.of("4.7.5")));
                assertThat(peer.join(Await.DEADLINE)).as("the peer served its three sessions").isTrue();
                assertThat(sessions).hasSize(3);
                assertThat(sessions.get(0)).containsExactly("EHLO postern.test", "STARTTLS");
                assertThat(sessions.get(1)).containsExactly("EHLO postern.test", "NOOP");
                assertThat(sessions.get(2)).containsExactly("EHLO postern.test", "STARTTLS");
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            }
        }
    }
}
