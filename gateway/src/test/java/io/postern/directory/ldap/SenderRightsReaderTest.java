package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.InMemoryDirectoryServerSnapshot;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import io.postern.config.Cidr;
import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import io.postern.testing.LogCapture;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Relay permission, per-sender limits and trusted networks read from ldif/openldap/sample.ldif
 * in the in-memory server: cn=all lists carol, cn=team (alice, bob) and cn=staff (erin, and
 * cn=all again: a loop); dave is in none of them.
 */
class SenderRightsReaderTest {
    static final String PEOPLE = "ou=people,dc=example,dc=test";
    static final String ALL = "cn=all,ou=groups,dc=example,dc=test";
    static InMemoryDirectory ldap;
    static InMemoryDirectoryServerSnapshot snapshot;

    @BeforeAll
    static void start() throws Exception {
        ldap = InMemoryDirectory.openldap("openldap/sample.ldif");
        snapshot = ldap.server.createSnapshot();
    }

    @AfterAll
    static void stop() {
        ldap.close();
    }

    @AfterEach
    void restore() {
        ldap.server.restoreSnapshot(snapshot);
    }

    static Login.Identity user(String uid) {
        return new Login.Identity(uid, "uid=" + uid + "," + PEOPLE, MailAddress.parse(uid + "@example.test").orElseThrow());
    }

    static SenderRightsQuestion group(String dn, SenderRightsQuestion.Membership how) {
        return new SenderRightsQuestion(Optional.of(dn), how, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    static SenderRightsQuestion attribute(String name, String value) {
        return new SenderRightsQuestion(Optional.empty(), SenderRightsQuestion.Membership.AUTO, Optional.of(name),
                Optional.ofNullable(value), Optional.empty(), Optional.empty());
    }

    static SenderRights rights(LdapDirectory directory, String uid, SenderRightsQuestion question) {
        Lookup<SenderRights> answer = directory.senderRights(user(uid), question);
        assertThat(answer).as(uid).isInstanceOf(Lookup.Found.class);
        return ((Lookup.Found<SenderRights>) answer).value();
    }

    static LdapDirectory connect(String extra) throws Exception {
        PosternConfig config = ldap.openldapConfig(extra);
        return LdapDirectory.connect(config.directory(), config.domains());
    }

    @Test
    void nestedMembersOfTheRelayGroupMayRelayOthersMayNot() throws Exception {
        try (LdapDirectory directory = connect("")) {
            SenderRightsQuestion q = group(ALL, SenderRightsQuestion.Membership.WALK);
            assertThat(rights(directory, "carol", q).mayRelay()).as("direct member").isTrue();
            assertThat(rights(directory, "alice", q).mayRelay()).as("through cn=team").isTrue();
            assertThat(rights(directory, "erin", q).mayRelay()).as("through cn=staff (a loop back to cn=all)").isTrue();
            assertThat(rights(directory, "dave", q).mayRelay()).as("in no group").isFalse();
            // AUTO on the openldap profile walks too.
            assertThat(rights(directory, "alice", group(ALL, SenderRightsQuestion.Membership.AUTO)).mayRelay()).isTrue();
        }
    }

    @Test
    void nestingDeeperThanMaxDepthDoesNotCount() throws Exception {
        try (LdapDirectory directory = connect("groups: { maxDepth: 1 }\n")) {
            SenderRightsQuestion q = group(ALL, SenderRightsQuestion.Membership.WALK);
            assertThat(rights(directory, "carol", q).mayRelay()).isTrue();
            assertThat(rights(directory, "alice", q).mayRelay()).isFalse();
        }
    }

    @Test
    void aUserLeavingTheGroupLosesThePermission() throws Exception {
        try (LdapDirectory directory = connect("")) {
            SenderRightsQuestion q = group(ALL, SenderRightsQuestion.Membership.WALK);
            assertThat(rights(directory, "carol", q).mayRelay()).isTrue();
            ldap.server.modify(ALL, new Modification(ModificationType.DELETE, "member", "uid=carol," + PEOPLE));
            assertThat(rights(directory, "carol", q).mayRelay()).isFalse();
        }
    }

    @Test
    void anAttributeGrantsRelayingWithAnyValueOrTheConfiguredOne() throws Exception {
        try (LdapDirectory directory = connect("")) {
            assertThat(rights(directory, "dave", attribute("employeeType", null)).mayRelay()).isFalse();
            ldap.server.modify("uid=dave," + PEOPLE, new Modification(ModificationType.ADD, "employeeType", "Relay"));
            assertThat(rights(directory, "dave", attribute("employeeType", null)).mayRelay()).isTrue();
            assertThat(rights(directory, "dave", attribute("employeeType", "relay")).mayRelay()).as("case-insensitive")
                    .isTrue();
            assertThat(rights(directory, "dave", attribute("employeeType", "internal")).mayRelay()).isFalse();
        }
    }

    @Test
    void limitsComeFromTheUsersEntryAndBadValuesAreIgnoredWithALogLine() throws Exception {
        SenderRightsQuestion q = new SenderRightsQuestion(Optional.empty(), SenderRightsQuestion.Membership.AUTO,
                Optional.empty(), Optional.empty(), Optional.of("employeeNumber"), Optional.of("roomNumber"));
        try (LdapDirectory directory = connect("");
             LogCapture log = LogCapture.of(SenderRightsReader.class)) {
            ldap.server.modify("uid=dave," + PEOPLE, new Modification(ModificationType.ADD, "employeeNumber", "3"),
                    new Modification(ModificationType.ADD, "roomNumber", "many"));
            SenderRights dave = rights(directory, "dave", q);
            assertThat(dave).isEqualTo(new SenderRights(true, OptionalInt.of(3), OptionalInt.empty()));
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains("event=sender-limit-invalid")
                    .contains("roomNumber"));
        }
    }

    @Test
    void aUserWhoseEntryIsGoneHasNoRights() throws Exception {
        try (LdapDirectory directory = connect("")) {
            Login.Identity ghost = new Login.Identity("ghost", "uid=ghost," + PEOPLE,
                    MailAddress.parse("ghost@example.test").orElseThrow());
            Lookup<SenderRights> answer = directory.senderRights(ghost, group(ALL, SenderRightsQuestion.Membership.WALK));
            assertThat(answer).isEqualTo(Lookup.found(new SenderRights(false, OptionalInt.empty(), OptionalInt.empty())));
        }
    }

    @Test
    void trustedNetworksFromAnEntrySkipInvalidValues() throws Exception {
        try (LdapDirectory directory = connect("");
             LogCapture log = LogCapture.of(LdapDirectory.class)) {
            ldap.server.modify(PEOPLE, new Modification(ModificationType.ADD, "description", "10.1.0.0/16",
                    "not-a-network", "192.0.2.7"));
            Lookup<List<Cidr>> answer = directory.trustedNetworks(new NetworkSource(PEOPLE, "description"));
            List<Cidr> networks = ((Lookup.Found<List<Cidr>>) answer).value();
            assertThat(networks).hasSize(2);
            assertThat(networks.stream().anyMatch(n -> n.contains(address("10.1.2.3")))).isTrue();
            assertThat(networks.stream().anyMatch(n -> n.contains(address("192.0.2.7")))).isTrue();
            assertThat(networks.stream().anyMatch(n -> n.contains(address("10.2.0.1")))).isFalse();
            assertThat(log.lines()).anySatisfy(l -> assertThat(l).contains("event=relay-network-invalid")
                    .contains("not-a-network"));
            assertThat(directory.trustedNetworks(new NetworkSource("cn=nothing,dc=example,dc=test", "description")))
                    .isEqualTo(Lookup.found(List.of()));
        }
    }

    static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
