package io.postern.it.directory;

import static io.postern.it.directory.DirectoryItSupport.a;
import static io.postern.it.directory.DirectoryItSupport.resolve;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.directory.Login;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Existing OpenLDAP mail trees served as they are: a Postfix + LDAP tree on misc.schema
 * (profile inet-local-mail) and an iRedMail tree (profile iredmail), each in a real slapd loaded
 * from its sample in ldif/. Every kind of entry is resolved through the profile's defaults
 * alone, then a real node delivers through aliases and lists into Maildirs and sees a mailbox
 * added with ldapmodify.
 */
class MailSchemaProfilesIT {
    @TempDir
    static Path dir;

    static String directoryYaml(String profile, Slapd slapd) {
        return """
                profile: %s
                urls: [%s]
                baseDn: dc=example,dc=test
                bindDn: cn=admin,dc=example,dc=test
                bindPassword: admin-pw
                domainsFromDirectory: %s
                """.formatted(profile, slapd.url(), profile.equals("iredmail"));
    }

    static Slapd start(String name, String ldif, Path schema) throws Exception {
        return Slapd.startWithSchemas(dir.resolve(name), DirectoryItSupport.repo(ldif), List.of(schema));
    }

    @Nested
    class InetLocalMail {
        @Test
        void everyEntryOfAPostfixLdapTreeResolves() throws Exception {
            try (Slapd slapd = start("misc", "ldif/inet-local-mail/sample.ldif", Path.of("/etc/ldap/schema/misc.ldif"));
                    LdapDirectory d = DirectoryItSupport.connect(directoryYaml("inet-local-mail", slapd))) {
                assertThat(resolve(d, "alice@example.test")).isInstanceOf(Recipient.Mailbox.class);
                assertThat(resolve(d, "a.example@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                        m -> assertThat(m.address()).isEqualTo(a("alice@example.test")));
                assertThat(resolve(d, "dave@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                        m -> assertThat(m.address()).isEqualTo(a("dave@example.test")));
                // mailRoutingAddress: everything goes to the new address, nothing is stored here.
                assertThat(resolve(d, "c.example@example.test")).isInstanceOfSatisfying(Recipient.Forward.class, f -> {
                    assertThat(f.targets()).containsExactly(a("carol@elsewhere.example"));
                    assertThat(f.keepCopy()).isFalse();
                });
                assertThat(resolve(d, "postmaster@example.test")).isInstanceOfSatisfying(Recipient.Alias.class,
                        al -> assertThat(al.targets()).containsExactly(a("alice@example.test"), a("bob@example.test")));
                assertThat(resolve(d, "team@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                        g -> assertThat(g.members()).containsExactlyInAnyOrder(a("alice@example.test"),
                                a("dave@example.test")));
                assertThat(resolve(d, "nobody@example.test")).isInstanceOf(Recipient.Unknown.class);
                assertThat(d.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
                assertThat(d.authenticate("alice", "wrong")).isInstanceOf(Login.Failed.class);
            }
        }

        @Test
        void aNodeDeliversThroughAliasesAndGroupsAndSeesANewMailbox() throws Exception {
            try (Slapd slapd = start("misc-node", "ldif/inet-local-mail/sample.ldif",
                    Path.of("/etc/ldap/schema/misc.ldif"));
                    Node node = Node.start(dir.resolve("misc-home"), "inet-local-mail", slapd)) {
                node.send("postmaster@example.test");
                node.send("team@example.test");
                node.awaitInbox("alice", 2);
                node.awaitInbox("bob", 1);
                node.awaitInbox("dave", 1);
                ExternalProcess.Result added = slapd.modify("""
                        dn: uid=frank,ou=people,dc=example,dc=test
                        changetype: add
                        objectClass: inetOrgPerson
                        objectClass: inetLocalMailRecipient
                        uid: frank
                        cn: Frank Example
                        sn: Example
                        mailLocalAddress: frank@example.test
                        """);
                assertThat(added.exitCode()).as(added.output()).isZero();
                Await.untilNoException("frank is deliverable",
                        () -> node.swaks("frank@example.test").contains("<-  250 2.0.0"));
                node.awaitInbox("frank", 1);
            }
        }
    }

    @Nested
    class IRedMail {
        static Path schema() {
            return DirectoryItSupport.repo("it/src/test/resources/schema/iredmail-standin.ldif");
        }

        @Test
        void everyEntryOfAnIRedMailTreeResolves() throws Exception {
            try (Slapd slapd = start("iredmail", "ldif/iredmail/sample.ldif", schema());
                    LdapDirectory d = DirectoryItSupport.connect(directoryYaml("iredmail", slapd))) {
                assertThat(d.isLocalDomain("example.test")).isEqualTo(io.postern.directory.Lookup.found(true));
                assertThat(resolve(d, "a.example@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class, m -> {
                    assertThat(m.address()).isEqualTo(a("alice@example.test"));
                    assertThat(m.quotaBytes()).hasValue(1073741824L);
                });
                // The own address in mailForwardingAddress means "keep a copy".
                assertThat(resolve(d, "bob@example.test")).isInstanceOfSatisfying(Recipient.Forward.class, f -> {
                    assertThat(f.targets()).containsExactly(a("bob@elsewhere.example"));
                    assertThat(f.keepCopy()).isTrue();
                });
                assertThat(resolve(d, "carol@example.test")).isInstanceOfSatisfying(Recipient.Forward.class,
                        f -> assertThat(f.keepCopy()).isFalse());
                assertThat(resolve(d, "erin@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                        m -> assertThat(m.disabled()).isTrue());
                assertThat(resolve(d, "hello@example.test")).isInstanceOfSatisfying(Recipient.Alias.class,
                        al -> assertThat(al.targets()).containsExactly(a("alice@example.test"), a("bob@example.test")));
                // Members name the list on their own entries; the disabled one is left out.
                assertThat(resolve(d, "staff@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                        g -> assertThat(g.members()).containsExactlyInAnyOrder(a("alice@example.test"),
                                a("bob@example.test")));
                assertThat(d.authenticate("alice@example.test", "alice-pw")).isInstanceOf(Login.Succeeded.class);
            }
        }

        @Test
        void aNodeDeliversToAListAndSeesANewMember() throws Exception {
            try (Slapd slapd = start("iredmail-node", "ldif/iredmail/sample.ldif", schema());
                    Node node = Node.start(dir.resolve("iredmail-home"), "iredmail", slapd)) {
                node.send("staff@example.test");
                node.send("info@example.test");
                node.awaitInbox("alice", 2);
                node.awaitInbox("bob", 2);
                ExternalProcess.Result joined = slapd.modify("""
                        dn: mail=carol@example.test,ou=Users,domainName=example.test,o=domains,dc=example,dc=test
                        changetype: modify
                        add: memberOfGroup
                        memberOfGroup: staff@example.test
                        -
                        delete: mailForwardingAddress
                        """);
                assertThat(joined.exitCode()).as(joined.output()).isZero();
                Await.untilNoException("carol receives the list's mail", () -> {
                    node.send("staff@example.test");
                    return node.inbox("carol").size() >= 1;
                });
            }
        }
    }

    /** A real postern node (the jar, its own JVM) on the given profile, with one SMTP listener. */
    record Node(ExternalProcess process, Path home, int port) implements AutoCloseable {
        static Node start(Path home, String profile, Slapd slapd) throws Exception {
            Files.createDirectories(home);
            int port = Ports.free();
            Path config = Files.writeString(home.resolve("postern.yaml"), """
                    node: { hostname: mx.example.test, drainTimeout: 2s }
                    listeners:
                      - { name: mx, kind: mx, port: %d }
                    admin: { enabled: false }
                    domains: [example.test]
                    directory:
                    %s
                    queue: { directory: queue }
                    spool: { root: spool }
                    """.formatted(port, directoryYaml(profile, slapd).indent(2)));
            List<String> command = new ArrayList<>(PosternProcess.command(home, "serve", "--config", config.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(home.resolve("node.log").toFile());
            ExternalProcess process = ExternalProcess.adopt("node-" + profile, builder.start(), home.resolve("node.log"));
            process.awaitLog(Duration.ofSeconds(60), "event=started");
            return new Node(process, home, port);
        }

        String swaks(String to) throws IOException, InterruptedException {
            return ExternalProcess.run(home, Duration.ofSeconds(60), List.of("swaks", "--server", "127.0.0.1:" + port,
                    "--timeout", "20", "--helo", "client.example.org", "--from", "sender@remote.example.org",
                    "--to", to)).output();
        }

        void send(String to) throws IOException, InterruptedException {
            assertThat(swaks(to)).as("mail to " + to).contains("<-  250 2.0.0");
        }

        List<Path> inbox(String user) throws IOException {
            Path folder = home.resolve("spool/example.test").resolve(user).resolve("new");
            if (!Files.isDirectory(folder)) {
                return List.of();
            }
            try (Stream<Path> files = Files.list(folder)) {
                return files.toList();
            }
        }

        void awaitInbox(String user, int count) throws Exception {
            Await.untilNoException(count + " messages in " + user + "'s Maildir", () -> inbox(user).size() >= count);
            assertThat(inbox(user)).as(user + "'s Maildir; node log:\n" + process.logText()).hasSize(count);
        }

        @Override
        public void close() throws Exception {
            process.close();
        }
    }
}
