package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.postern.config.OutboundConfig;
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
class StarttlsInjectionTest {

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
            ClientTransport transport = ClientTransport.best();
            EventLoopGroup group = transport.newGroup(1);
            try {
                OutboundConfig config = OutboundConfig.defaults();
                SmtpClient client = new SmtpClient(new Bootstrap().group(group).channel(transport.channel()), config,
                        "postern.test", SmtpClient.Protocol.SMTP, new OutboundMetrics(new SimpleMeterRegistry()));
                SmtpClient.Opened opened = client.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        server.getLocalPort()), "evil.test", OutboundConfig.TlsPolicy.REQUIRED, Optional.empty());
                assertThat(opened).isInstanceOfSatisfying(SmtpClient.Opened.Unavailable.class, u -> {
                    assertThat(u.enhancedCode()).isEqualTo("4.7.5");
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
}
