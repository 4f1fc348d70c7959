package io.postern.outbound.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MxOrderTest {

    @Test
    void lowestPreferenceComesFirst() {
        List<MxRecord> ordered = MxOrder.order(List.of(new MxRecord(30, "c.example"), new MxRecord(10, "a.example"),
                new MxRecord(20, "b.example")), new Random(1));
        assertThat(ordered).extracting(MxRecord::exchange).containsExactly("a.example", "b.example", "c.example");
    }

    @Test
    void equalPreferencesAreShuffledButStayTogether() {
        List<MxRecord> records = List.of(new MxRecord(10, "a1"), new MxRecord(10, "a2"), new MxRecord(10, "a3"),
                new MxRecord(20, "b1"), new MxRecord(5, "first"));
        Set<String> leaders = new HashSet<>();
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            List<MxRecord> ordered = MxOrder.order(records, random);
            assertThat(ordered.getFirst().exchange()).isEqualTo("first");
            assertThat(ordered.subList(1, 4)).extracting(MxRecord::exchange).containsExactlyInAnyOrder("a1", "a2", "a3");
            assertThat(ordered.getLast().exchange()).isEqualTo("b1");
            leaders.add(ordered.get(1).exchange());
        }
        assertThat(leaders).containsExactlyInAnyOrder("a1", "a2", "a3");
    }

    @Test
    void duplicateHostKeepsItsLowestPreference() {
        List<MxRecord> ordered = MxOrder.order(List.of(new MxRecord(20, "MX.example"), new MxRecord(10, "mx.example"),
                new MxRecord(15, "other.example")), new Random(3));
        assertThat(ordered).extracting(MxRecord::exchange).containsExactly("mx.example", "other.example");
    }

    @Test
    void nullMxIsRecognised() {
        assertThat(new MxRecord(0, ".").isNull()).isTrue();
        assertThat(new MxRecord(0, "").isNull()).isTrue();
        assertThat(new MxRecord(0, "mx.example").isNull()).isFalse();
    }
}
