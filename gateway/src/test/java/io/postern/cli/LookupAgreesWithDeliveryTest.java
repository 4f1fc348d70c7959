package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.EmbeddedDirectoryConfig;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.delivery.FileContent;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.routing.RoutingDeliveryAgent;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16, "one expansion": for every address of a sample directory (each mail and alternate
 * address, with and without a {@code +tag}, plus an unknown one), from outside and from an
 * authenticated sender, {@code postern lookup} and a real delivery (the routing agent writing
 * Maildirs, over the same LDIF in an in-memory server) agree: exit 0 exactly when delivery
 * delivers, into exactly the mailboxes lookup lists; 1 or 77 when it fails; 75 when it defers.
 */
class LookupAgreesWithDeliveryTest {
    private static final String AUTHENTICATED_SENDER = "alice@example.test";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"ldif/demo.ldif", "ldif/openldap/sample.ldif"})
    void lookupAndDeliveryAgreeOnEveryAddress(String sample) throws Exception {
        Path ldif = Path.of("..").toAbsolutePath().normalize().resolve(sample);
        Path configFile = Files.writeString(dir.resolve("postern.yaml"), """
                listeners:
                  - { kind: mx, port: 2525 }
                directory:
                  profile: openldap
                  baseDn: dc=example,dc=test
                  embedded: { ldif: %s, port: 10389 }
                domains: [example.test]
                spool: { root: spool }
                queue: { directory: queue }
                """.formatted(ldif));
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).load(configFile);
        List<String> cases = cases(ldif);
        assertThat(cases).as("addresses in " + sample).hasSizeGreaterThan(8);

        var embedded = config.directory().embedded().orElseThrow();
        List<String> disagreements = new ArrayList<>();
        int checked = 0;
        try (EmbeddedDirectoryServer server = EmbeddedDirectoryServer.start(new EmbeddedDirectoryConfig(
                embedded.ldif(), "127.0.0.1", 0, embedded.bindDn(), embedded.bindPassword()), config.directory().baseDn());
             LdapDirectory ldap = LdapDirectory.connect(config.directory().withUrls(List.of(URI.create(server.url()))),
                     config.domains());
             RoutingDeliveryAgent routing = new RoutingDeliveryAgent(ldap,
                     new LocalDelivery(config.spool(), "mx.example.test", new SimpleMeterRegistry()),
                     Optional.of(remoteAcceptingEverything()), config.delivery(), new SimpleMeterRegistry())) {
            int n = 0;
            for (String address : cases) {
                for (Optional<String> sender : List.of(Optional.<String>empty(), Optional.of(AUTHENTICATED_SENDER))) {
                    List<String> args = new ArrayList<>(List.of("lookup", "--config", configFile.toString()));
                    sender.ifPresent(s -> args.addAll(List.of("--from", s)));
                    args.add(address);
                    StringWriter out = new StringWriter();
                    var cli = Main.commandLine();
                    cli.setOut(new PrintWriter(out));
                    cli.setErr(new PrintWriter(out));
                    int exit = cli.execute(args.toArray(String[]::new));

                    Path spool = config.spool().root();
                    Set<String> before = written(spool);
                    DeliveryResult result = routing.deliver(message("Q" + n++, address, sender),
                            List.of(EnvelopeRecipient.of(MailAddress.parse(address).orElseThrow())))
                            .get(30, TimeUnit.SECONDS).getFirst();
                    Set<String> after = written(spool);
                    after.removeAll(before);
                    Set<String> mailboxes = new TreeSet<>(after.stream().map(LookupAgreesWithDeliveryTest::folder).toList());

                    String what = address + sender.map(s -> " from " + s).orElse("") + ": lookup exit " + exit
                            + ", delivery " + result.label() + " " + result.status() + " " + result.diagnostic();
                    boolean agree = switch (result.outcome()) {
                        case RecipientOutcome.Succeeded s -> exit == 0 && mailboxes.equals(listed(out.toString()));
                        case RecipientOutcome.Failed f -> exit == 1 || exit == LookupCommand.EXIT_REFUSED;
                        case RecipientOutcome.Deferred d -> exit == DirectoryCommandSupport.EXIT_TEMPFAIL;
                    };
                    if (!agree) {
                        disagreements.add(what + "; written " + mailboxes + "\n" + out);
                    }
                    checked++;
                }
            }
        }
        assertThat(disagreements).as("cases where lookup and delivery disagree").isEmpty();
        assertThat(checked).isEqualTo(cases.size() * 2);
    }

    /** Every address of the local domain in the LDIF, each also with a +tag, and one nobody has. */
    private static List<String> cases(Path ldif) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String line : Files.readAllLines(ldif)) {
            for (String attribute : List.of("mail: ", "posternAlternateAddress: ", "posternForwardingAddress: ")) {
                if (line.startsWith(attribute) && line.endsWith("@example.test")) {
                    String address = line.substring(attribute.length()).strip();
                    out.add(address);
                    out.add(address.replace("@", "+tag@"));
                }
            }
        }
        out.add("nobody@example.test");
        return List.copyOf(out);
    }

    /**
     * The Maildir folders of the mailboxes lookup says delivery writes (its "mailboxes:" line):
     * the entry's own spool when lookup names one, else the default layout {domain}/{localpart}.
     */
    private static Set<String> listed(String out) {
        Set<String> folders = new TreeSet<>();
        out.lines().filter(l -> l.startsWith("mailboxes: ")).findFirst()
                .map(l -> l.substring("mailboxes: ".length()))
                .filter(l -> !l.equals("(none)"))
                .ifPresent(l -> {
                    for (String mailbox : l.split(", ")) {
                        int spool = mailbox.indexOf(" (spool ");
                        if (spool > 0) {
                            folders.add(mailbox.substring(spool + " (spool ".length(), mailbox.length() - 1));
                        } else {
                            String[] parts = mailbox.split("@");
                            folders.add(parts[1] + "/" + parts[0]);
                        }
                    }
                });
        return folders;
    }

    /** Every Maildir file under the spool, as "domain/user/new/file". */
    private static Set<String> written(Path spool) throws IOException {
        if (!Files.isDirectory(spool)) {
            return new TreeSet<>();
        }
        try (Stream<Path> files = Files.walk(spool)) {
            return new TreeSet<>(files.filter(Files::isRegularFile)
                    .filter(p -> p.getParent().getFileName().toString().equals("new"))
                    .map(p -> spool.relativize(p).toString()).toList());
        }
    }

    /** "example.test/alice/new/123" was written into the Maildir "example.test/alice". */
    private static String folder(String file) {
        return file.substring(0, file.indexOf("/new/"));
    }

    private QueuedMessage message(String id, String recipient, Optional<String> sender) throws IOException {
        Path content = Files.writeString(dir.resolve("content-" + id), "Subject: t\r\n\r\nbody\r\n");
        MailAddress from = MailAddress.parse(sender.orElse("someone@remote.test")).orElseThrow();
        Envelope envelope = new Envelope(Optional.of(from),
                List.of(EnvelopeRecipient.of(MailAddress.parse(recipient).orElseThrow())), Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost", "client",
                sender.isPresent() ? "ESMTPA" : "ESMTP", sender, Optional.empty(), Instant.now()));
        return new QueuedMessage(id, envelope, FileContent.of(content));
    }

    /** The far side of outbound delivery: takes everything (lookup lists remote targets as "sent on"). */
    private static DeliveryAgent remoteAcceptingEverything() {
        return (message, recipients) -> CompletableFuture.completedFuture(recipients.stream()
                .map(r -> DeliveryResult.delivered(r, "250 ok", Optional.of("mx.remote.test"))).toList());
    }
}
