package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static io.postern.testing.MapDirectory.mailbox;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.testing.MapDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RecipientExpanderTest {
    private static final Optional<MailAddress> SENDER = Optional.of(addr("sender@remote.test"));
    private final MapDirectory dir = new MapDirectory("example.test")
            .mailboxes("alice@example.test", "bob@example.test", "carol@example.test");
    private final RecipientExpander expander = new RecipientExpander(dir, 10, 1000);

    private static List<String> locals(Expansion e) {
        return e.local().stream().map(t -> t.mailbox().address().toString()).toList();
    }

    private static List<String> codes(Expansion e) {
        return e.problems().stream().map(p -> switch (p) {
            case Expansion.Problem.Permanent x -> x.enhancedCode().toString();
            case Expansion.Problem.Temporary x -> x.enhancedCode().toString();
        }).toList();
    }

    @Test
    void mailboxAndSubaddressKeepTheAddressThatLedThere() {
        Expansion e = expander.expand(addr("Alice+news@example.test"), SENDER);
        assertThat(locals(e)).containsExactly("alice@example.test");
        assertThat(e.local().getFirst().deliveredTo()).hasToString("Alice+news@example.test");
        assertThat(e.problems()).isEmpty();
    }

    @Test
    void aliasesAndNestedGroupsExpandWithDuplicatesRemoved() {
        dir.put(new Recipient.Alias(addr("postmaster@example.test"), List.of(addr("team@example.test"), addr("alice@example.test"))));
        dir.put(new Recipient.Group(addr("team@example.test"), "cn=team", List.of(addr("alice@example.test"),
                addr("devs@example.test"), addr("partner@remote.test")), List.of()));
        dir.put(new Recipient.Group(addr("devs@example.test"), "cn=devs", List.of(addr("bob@example.test"),
                addr("alice+dev@example.test"), addr("Partner@remote.test")), List.of()));

        Expansion e = expander.expand(addr("postmaster@example.test"), SENDER);

        assertThat(locals(e)).containsExactly("alice@example.test", "bob@example.test");
        assertThat(e.remote()).extracting(MailAddress::toString).containsExactly("Partner@remote.test");
        assertThat(e.problems()).isEmpty();
    }

    @Test
    void forwardDeliversToTargetsAndKeepsACopyOnlyWhenAsked() {
        Recipient.Mailbox carol = mailbox("carol@example.test");
        dir.put(new Recipient.Forward(carol, List.of(addr("carol@remote.test"), addr("bob@example.test")), true));
        Expansion kept = expander.expand(addr("carol@example.test"), SENDER);
        assertThat(locals(kept)).containsExactly("carol@example.test", "bob@example.test");
        assertThat(kept.remote()).extracting(MailAddress::toString).containsExactly("carol@remote.test");

        dir.put(new Recipient.Forward(carol, List.of(addr("carol@remote.test")), false));
        Expansion moved = expander.expand(addr("carol@example.test"), SENDER);
        assertThat(moved.local()).isEmpty();
        assertThat(moved.remote()).extracting(MailAddress::toString).containsExactly("carol@remote.test");
    }

    @Test
    void loopsEndAndAPureLoopFailsWith546() {
        dir.put(new Recipient.Alias(addr("a@example.test"), List.of(addr("b@example.test"))));
        dir.put(new Recipient.Alias(addr("b@example.test"), List.of(addr("a@example.test"))));
        Expansion pure = expander.expand(addr("a@example.test"), SENDER);
        assertThat(pure.local()).isEmpty();
        assertThat(codes(pure)).containsExactly("5.4.6");

        dir.put(new Recipient.Alias(addr("b@example.test"), List.of(addr("a@example.test"), addr("bob@example.test"))));
        Expansion cut = expander.expand(addr("a@example.test"), SENDER);
        assertThat(locals(cut)).containsExactly("bob@example.test");
        assertThat(cut.problems()).isEmpty();
    }

    @Test
    void depthLimitIsAPermanentFailureForTheDeepBranch() {
        for (int i = 0; i < 15; i++) {
            dir.put(new Recipient.Alias(addr("l" + i + "@example.test"), List.of(addr("l" + (i + 1) + "@example.test"))));
        }
        dir.put(mailbox("l15@example.test"));
        assertThat(locals(new RecipientExpander(dir, 20, 1000).expand(addr("l0@example.test"), SENDER)))
                .containsExactly("l15@example.test");
        Expansion limited = new RecipientExpander(dir, 5, 1000).expand(addr("l0@example.test"), SENDER);
        assertThat(limited.local()).isEmpty();
        assertThat(codes(limited)).containsExactly("5.4.6");
    }

    @Test
    void sizeLimitIsAPermanentFailure() {
        List<MailAddress> members = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            dir.put(mailbox("u" + i + "@example.test"));
            members.add(addr("u" + i + "@example.test"));
        }
        dir.put(new Recipient.Group(addr("all@example.test"), "cn=all", members, List.of()));
        assertThat(new RecipientExpander(dir, 10, 50).expand(addr("all@example.test"), SENDER).problems()).isEmpty();
        Expansion over = new RecipientExpander(dir, 10, 49).expand(addr("all@example.test"), SENDER);
        assertThat(over.local()).hasSize(49);
        assertThat(codes(over)).containsExactly("5.5.3");
    }

    @Test
    void unknownDisabledAndUnreachableDirectory() {
        dir.put(new Recipient.Mailbox(addr("gone@example.test"), "uid=gone", Optional.empty(), OptionalLong.empty(), true));
        dir.put(new Recipient.Alias(addr("mixed@example.test"), List.of(addr("nobody@example.test"), addr("bob@example.test"))));
        assertThat(codes(expander.expand(addr("nobody@example.test"), SENDER))).containsExactly("5.1.1");
        assertThat(codes(expander.expand(addr("gone@example.test"), SENDER))).containsExactly("5.2.1");
        Expansion mixed = expander.expand(addr("mixed@example.test"), SENDER);
        assertThat(locals(mixed)).containsExactly("bob@example.test");
        assertThat(codes(mixed)).containsExactly("5.1.1");
        assertThat(expander.expand(addr("x@remote.test"), SENDER).remote()).hasSize(1);

        dir.down(true);
        Expansion down = expander.expand(addr("alice@example.test"), SENDER);
        assertThat(down.local()).isEmpty();
        assertThat(down.problems()).singleElement().isInstanceOf(Expansion.Problem.Temporary.class);
        assertThat(codes(down)).containsExactly("4.4.3");
    }

    @Test
    void aRestrictedGroupAcceptsOnlyItsAllowedSendersAtAnyDepth() {
        dir.put(new Recipient.Group(addr("board@example.test"), "cn=board", List.of(addr("alice@example.test")),
                List.of(addr("Boss@example.test"))));
        dir.put(new Recipient.Alias(addr("all@example.test"), List.of(addr("board@example.test"), addr("bob@example.test"))));

        assertThat(locals(expander.expand(addr("all@example.test"), Optional.of(addr("boss@example.test")))))
                .containsExactly("alice@example.test", "bob@example.test");
        Expansion outsider = expander.expand(addr("all@example.test"), SENDER);
        assertThat(locals(outsider)).containsExactly("bob@example.test");
        assertThat(codes(outsider)).containsExactly("5.7.1");
        assertThat(codes(expander.expand(addr("board@example.test"), Optional.empty()))).containsExactly("5.7.1");
    }
}
