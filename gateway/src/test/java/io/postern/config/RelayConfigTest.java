package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RelayConfigTest {
    private static final String BASE = "listeners:\n  - { kind: mx, port: 2525 }\n"
            + "directory:\n  baseDn: dc=example,dc=test\n  urls: [\"ldap://127.0.0.1:389\"]\n";

    private static RelayConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(java.util.Map.of())).parse(BASE + yaml, Path.of("/tmp"), "test.yaml")
                .relay();
    }

    @Test
    void offByDefault() {
        RelayConfig relay = parse("");
        assertThat(relay.permission()).isEqualTo(RelayPermissionConfig.OFF);
        assertThat(relay.permission().enabled()).isFalse();
        assertThat(relay.limits()).isEqualTo(SenderLimitsConfig.NONE);
        assertThat(relay.trustedNetworksFrom()).isEmpty();
    }

    @Test
    void keysAreRead() {
        RelayConfig relay = parse("""
                relay:
                  trustedNetworksFrom: { dn: 'cn=postern,ou=config,dc=example,dc=test', attribute: posternTrustedNetwork }
                  permission:
                    group: CN=Mail Relay Users,OU=Groups,DC=corp,DC=example
                    membership: in-chain
                    attribute: posternMayRelay
                    value: 'TRUE'
                  limits:
                    recipientsPerMessage: 50
                    messagesPerHour: 200
                    recipientsPerMessageAttribute: posternMaxRecipients
                    messagesPerHourAttribute: posternMaxMessagesPerHour
                    frontNodes: 3
                """);
        assertThat(relay.trustedNetworksFrom()).contains(
                new RelayConfig.NetworksFrom("cn=postern,ou=config,dc=example,dc=test", "posternTrustedNetwork"));
        assertThat(relay.permission()).isEqualTo(new RelayPermissionConfig(
                Optional.of("CN=Mail Relay Users,OU=Groups,DC=corp,DC=example"), RelayPermissionConfig.Membership.IN_CHAIN,
                Optional.of("posternMayRelay"), Optional.of("TRUE")));
        assertThat(relay.limits()).isEqualTo(new SenderLimitsConfig(50, 200, Optional.of("posternMaxRecipients"),
                Optional.of("posternMaxMessagesPerHour"), 3));
    }

    @Test
    void theSummarySaysWhoMayRelay() {
        assertThat(parse("").summary()).isEqualTo("relay: 0 trusted network(s); every authenticated user may relay; "
                + "per sender: no limit recipients/message, no limit messages/hour");
        assertThat(parse("relay:\n"
                + "  permission: { group: 'cn=relay,dc=example,dc=test', attribute: posternMayRelay, value: 'TRUE' }\n"
                + "  limits: { messagesPerHour: 10, recipientsPerMessageAttribute: posternMaxRecipients, frontNodes: 2 }\n")
                .summary()).isEqualTo("relay: 0 trusted network(s); authenticated users may relay if member of "
                + "cn=relay,dc=example,dc=test (membership auto) or holding posternMayRelay=TRUE; per sender: no limit "
                + "(or the user's posternMaxRecipients) recipients/message, 10 messages/hour (shared by 2 front nodes)");
    }

    @Test
    void everyProblemIsReportedWithItsPath() {
        assertThatThrownBy(() -> parse("""
                relay:
                  trustedNetworksFrom: { dn: 'not a dn' }
                  permission: { group: 'no-equals-sign', membership: sometimes, attribute: 'bad attr', value: x }
                  limits: { recipientsPerMessage: -1, messagesPerHour: 2000000, frontNodes: 0, messagesPerHourAttribute: '1x' }
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("relay.trustedNetworksFrom.dn")
                .hasMessageContaining("relay.trustedNetworksFrom.attribute")
                .hasMessageContaining("relay.permission.group")
                .hasMessageContaining("relay.permission.membership")
                .hasMessageContaining("relay.permission.attribute")
                .hasMessageContaining("relay.permission.value")
                .hasMessageContaining("relay.limits.recipientsPerMessage")
                .hasMessageContaining("relay.limits.messagesPerHour")
                .hasMessageContaining("relay.limits.frontNodes")
                .hasMessageContaining("relay.limits.messagesPerHourAttribute");
    }

    @Test
    void unknownKeysAreRefused() {
        assertThatThrownBy(() -> parse("relay:\n  permission: { groups: x }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("relay.permission.groups");
    }
}
