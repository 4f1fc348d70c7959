package io.postern.smtp.inbound.policy;

import io.postern.config.RelayConfig;
import io.postern.directory.NetworkSource;
import io.postern.directory.SenderRightsQuestion;
import java.util.Optional;

/**
 * Turns the {@code relay} section into the directory questions it implies: what to read for a
 * sender's rights, and where the directory keeps trusted networks. Stateless.
 */
public final class RelayQuestions {
    private RelayQuestions() {
    }

    /** The sender-rights question of {@code relay.permission} and {@code relay.limits}. */
    public static SenderRightsQuestion rights(RelayConfig relay) {
        var permission = relay.permission();
        var limits = relay.limits();
        return new SenderRightsQuestion(permission.group(),
                SenderRightsQuestion.Membership.valueOf(permission.membership().name()), permission.attribute(),
                permission.value(), limits.recipientsPerMessageAttribute(), limits.messagesPerHourAttribute());
    }

    /** The entry of {@code relay.trustedNetworksFrom}, if configured. */
    public static Optional<NetworkSource> networks(RelayConfig relay) {
        return relay.trustedNetworksFrom().map(f -> new NetworkSource(f.dn(), f.attribute()));
    }
}
