package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private Dovecot serving only LMTP on 127.0.0.1: the given users (a passwd-file, mail as
 * nobody) get Maildirs under {@code DIR/mail/<domain>/<user>/Maildir}; any other address is
 * refused per recipient with {@code 550 5.1.1}. A user written {@code user@domain:password} can
 * also log in through the SASL socket {@link #authSocket()} (for Postfix's smtpd_sasl_type=dovecot).
 * Started in the foreground, stopped with SIGTERM.
 */
public final class DovecotLmtp implements AutoCloseable {
    private final ExternalProcess process;
    private final Path mail;

    private final Path authSocket;

    private DovecotLmtp(ExternalProcess process, Path mail, Path authSocket) {
        this.process = process;
        this.mail = mail;
        this.authSocket = authSocket;
    }

    /** A SASL server socket anyone may connect to (mode 0666). */
    public Path authSocket() {
        return authSocket;
    }

    public static DovecotLmtp start(Path dir, int port, List<String> users) throws IOException, InterruptedException {
        Path base = Files.createDirectories(dir.resolve("base"));
        Path mail = Files.createDirectories(dir.resolve("mail"));
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        if (!dir.toAbsolutePath().startsWith(tmp)) {
            throw new IllegalArgumentException("DovecotLmtp needs a folder under " + tmp + ": " + dir);
        }
        // Deliveries run as nobody: it must reach and write the mail folder.
        for (Path p = dir.toAbsolutePath(); !p.equals(tmp); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(mail, PosixFilePermissions.fromString("rwxrwxrwx"));
        StringBuilder passwd = new StringBuilder();
        for (String entry : users) {
            String user = entry.contains(":") ? entry.substring(0, entry.indexOf(':')) : entry;
            String password = entry.contains(":") ? entry.substring(entry.indexOf(':') + 1) : "unused";
            String[] parts = user.split("@");
            passwd.append(user).append(":{PLAIN}").append(password).append(":65534:65534::").append(mail.resolve(parts[1]).resolve(parts[0]))
                    .append('\n');
        }
        Path usersFile = dir.resolve("users");
        Files.writeString(usersFile, passwd, StandardCharsets.US_ASCII);
        Path conf = dir.resolve("dovecot.conf");
        Files.writeString(conf, String.join("\n",
                "protocols = lmtp",
                "base_dir = " + base,
                "state_dir = " + base.resolve("state"),
                "log_path = " + dir.resolve("dovecot.log"),
                "ssl = no",
                "listen = 127.0.0.1",
                "mail_location = maildir:~/Maildir",
                "passdb {", "  driver = passwd-file", "  args = " + usersFile, "}",
                "userdb {", "  driver = passwd-file", "  args = " + usersFile, "}",
                "service lmtp {", "  inet_listener lmtp {", "    address = 127.0.0.1", "    port = " + port, "  }", "}",
                "service anvil {", "  chroot =", "}",
                "service auth {", "  unix_listener auth-postfix {", "    mode = 0666", "  }", "}",
                "auth_mechanisms = plain",
                ""), StandardCharsets.US_ASCII);
        ExternalProcess process = ExternalProcess.start("dovecot", dir, List.of("dovecot", "-F", "-c", conf.toString()));
        process.awaitReady(Duration.ofSeconds(15), () -> Loopback.accepts("127.0.0.1", port));
        return new DovecotLmtp(process, mail, base.resolve("auth-postfix"));
    }

    /** The messages in {@code user@domain}'s Maildir {@code new/}, as text. */
    public List<String> newMessages(String address) {
        String[] parts = address.split("@");
        Path newDir = mail.resolve(parts[1]).resolve(parts[0]).resolve("Maildir").resolve("new");
        if (!Files.isDirectory(newDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(newDir)) {
            return files.sorted().map(f -> {
                try {
                    return Files.readString(f, StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
