package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.schema.Schema;
import com.unboundid.ldif.LDIFChangeRecord;
import com.unboundid.ldif.LDIFException;
import com.unboundid.ldif.LDIFReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
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
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16, "one expansion": for every address of every sample directory in ldif/ (each mail,
 * alternate, proxy, alias, group and list address found in the LDIF, with and without a
 * {@code +tag}, plus an unknown one), from outside and from an authenticated sender,
 * {@code postern lookup} and a real delivery (the routing agent writing Maildirs) agree: exit 0
 * exactly when delivery delivers, into exactly the mailboxes lookup lists; 1 or 77 when it fails;
 * 75 when it defers. Each sample runs with its own profile in an in-memory server that has the
 * schema it needs (test stand-ins for AD, misc.schema and iRedMail under src/test/resources).
 * Lookup reaches that server through {@code directory.urls} (a private embedded copy per run
 * would reload the LDIF for every address; DirectoryCommandsTest covers that path). Active
 * Directory runs with {@code groups.expansion: iterative}: the in-memory server has neither
 * {@code memberOf} nor the in-chain matching rule (the Samba ITs cover in-chain).
 */
class LookupAgreesWithDeliveryTest {
    private static final String ADMIN_DN = "cn=admin,dc=example,dc=test";
    private static final String ADMIN_PW = "admin-pw";

    /**
     * One sample directory: its LDIF, profile and base, the extra schema the in-memory server
     * needs for it (a classpath resource, empty when the standard and Postern schemas do), the
     * extra directory keys, the configured domains, and the sender of the authenticated case.
     */
    record Sample(String ldif, String profile, String baseDn, Optional<String> schema, String directoryExtra,
                  String domains, String sender) {
        static Sample openldap(String ldif) {
            return new Sample(ldif, "openldap", "dc=example,dc=test", Optional.empty(), "", "[example.test]",
                    "alice@example.test");
        }

        @Override
        public String toString() {
            return ldif + " (" + profile + ")";
        }
    }

    static Stream<Sample> samples() {
        return Stream.of(
                Sample.openldap("ldif/demo.ldif"),
                Sample.openldap("ldif/openldap/sample.ldif"),
                new Sample("ldif/active-directory/sample.ldif", "active-directory", "DC=ad,DC=example,DC=test",
                        Optional.of("/io/postern/directory/ldap/ad-emulation-schema.ldif"),
                        "groups: { expansion: iterative }", "[example.test]", "alice.smith@example.test"),
                new Sample("ldif/inet-local-mail/sample.ldif", "inet-local-mail", "dc=example,dc=test",
                        Optional.of("/io/postern/cli/misc-standin-schema.ldif"), "", "[example.test]",
                        "alice@example.test"),
                // No configured domain: example.test is local only because its mailDomain entry says so.
                new Sample("ldif/iredmail/sample.ldif", "iredmail", "dc=example,dc=test",
                        Optional.of("/io/postern/cli/iredmail-standin-schema.ldif"), "domainsFromDirectory: true",
                        "[]", "alice@example.test"));
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void lookupAndDeliveryAgreeOnEveryAddress(Sample sample) throws Exception {
        Path ldif = Path.of("..").toAbsolutePath().normalize().resolve(sample.ldif());
        List<String> cases = cases(ldif);
        assertThat(cases).as("addresses in " + sample).hasSizeGreaterThan(8);

        List<String> disagreements = new ArrayList<>();
        int checked = 0;
        try (InMemoryDirectoryServer server = start(sample, ldif)) {
            String url = "ldap://127.0.0.1:" + server.getListenPort();
            String where = "urls: [%s]\nbindDn: %s\nbindPassword: %s".formatted(url, ADMIN_DN, ADMIN_PW);
            Path configFile = Files.writeString(dir.resolve("postern.yaml"), """
                    listeners:
                      - { kind: mx, port: 2525 }
                    directory:
                    %s
                    domains: %s
                    spool: { root: spool }
                    queue: { directory: queue }
                    """.formatted(("profile: " + sample.profile() + "\nbaseDn: " + sample.baseDn() + "\n" + where
                    + "\n" + sample.directoryExtra()).indent(2).stripTrailing(), sample.domains()));
            PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).load(configFile);
            try (LdapDirectory ldap = LdapDirectory.connect(config.directory().withUrls(List.of(URI.create(url))),
                         config.domains());
                 RoutingDeliveryAgent routing = new RoutingDeliveryAgent(ldap,
                         new LocalDelivery(config.spool(), "mx.example.test", new SimpleMeterRegistry()),
                         Optional.of(remoteAcceptingEverything()), config.delivery(), new SimpleMeterRegistry())) {
                // One command line for the whole sample, as picocli resets every option between runs.
                StringWriter out = new StringWriter();
                var cli = Main.commandLine();
                cli.setOut(new PrintWriter(out));
                cli.setErr(new PrintWriter(out));
                int n = 0;
                for (String address : cases) {
                    for (Optional<String> sender : List.of(Optional.<String>empty(), Optional.of(sample.sender()))) {
                        List<String> args = new ArrayList<>(List.of("lookup", "--config", configFile.toString()));
                        sender.ifPresent(s -> args.addAll(List.of("--from", s)));
                        args.add(address);
                        out.getBuffer().setLength(0);
                        int exit = cli.execute(args.toArray(String[]::new));

                        Path spool = config.spool().root();
                        Set<String> before = written(spool);
                        DeliveryResult result = routing.deliver(message("Q" + n++, address, sender),
                                List.of(EnvelopeRecipient.of(MailAddress.parse(address).orElseThrow())))
                                .get(30, TimeUnit.SECONDS).getFirst();
                        Set<String> after = written(spool);
                        after.removeAll(before);
                        Set<String> mailboxes = new TreeSet<>(after.stream().map(LookupAgreesWithDeliveryTest::folder)
                                .toList());

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
        }
        assertThat(disagreements).as("cases where lookup and delivery disagree in " + sample).isEmpty();
        assertThat(checked).isEqualTo(cases.size() * 2);
    }

    /**
     * An in-memory server for {@code sample}: the standard schema, Postern's, and the sample's
     * own, loaded from its LDIF as it is (including change records, like the AD sample's loop).
     * The base entry is added first when the LDIF starts below it.
     */
    private static InMemoryDirectoryServer start(Sample sample, Path ldif) throws Exception {
        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(sample.baseDn());
        config.addAdditionalBindCredentials(ADMIN_DN, ADMIN_PW);
        List<Schema> schemas = new ArrayList<>(List.of(Schema.getDefaultStandardSchema(),
                schema(EmbeddedDirectoryServer.SCHEMA_RESOURCE)));
        sample.schema().ifPresent(resource -> schemas.add(schema(resource)));
        config.setSchema(Schema.mergeSchemas(schemas.toArray(Schema[]::new)));
        config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), 0,
                null));
        InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
        try (LDIFReader reader = new LDIFReader(ldif.toFile())) {
            DN base = new DN(sample.baseDn());
            boolean first = true;
            for (LDIFChangeRecord change; (change = reader.readChangeRecord(true)) != null; first = false) {
                if (first && !change.getParsedDN().equals(base)) {
                    server.add(new Entry(base, new Attribute("objectClass", "top", "domain"),
                            new Attribute("dc", base.getRDN().getAttributeValues()[0])));
                }
                change.processChange(server);
            }
        }
        server.startListening();
        return server;
    }

    private static Schema schema(String resource) {
        try (InputStream in = LookupAgreesWithDeliveryTest.class.getResourceAsStream(resource)) {
            return Schema.getSchema(Objects.requireNonNull(in, resource));
        } catch (IOException | LDIFException e) {
            throw new IllegalStateException(resource, e);
        }
    }

    /**
     * Every address of the local domain the LDIF mentions (any attribute, a proxyAddresses-style
     * "smtp:" prefix dropped), each also with a +tag, and one nobody has.
     */
    private static List<String> cases(Path ldif) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String line : Files.readAllLines(ldif)) {
            int colon = line.indexOf(": ");
            if (line.startsWith("#") || line.startsWith("dn:") || colon < 0 || !line.endsWith("@example.test")) {
                continue;
            }
            String value = line.substring(colon + 2).strip();
            String address = value.substring(value.lastIndexOf(':') + 1);
            out.add(address);
            out.add(address.replace("@", "+tag@"));
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
