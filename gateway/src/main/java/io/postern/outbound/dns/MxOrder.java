package io.postern.outbound.dns;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * RFC 5321 5.1 ordering: lowest preference first; hosts of equal preference in random order so
 * that load spreads across them. Duplicate host names keep their lowest preference. Pure.
 */
public final class MxOrder {
    private MxOrder() {
    }

    public static List<MxRecord> order(List<MxRecord> records, RandomGenerator random) {
        Map<Integer, List<MxRecord>> byPreference = new TreeMap<>();
        List<String> seen = new ArrayList<>();
        List<MxRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(MxRecord::preference));
        for (MxRecord record : sorted) {
            String key = record.exchange().toLowerCase(java.util.Locale.ROOT);
            if (seen.contains(key)) {
                continue;
            }
            seen.add(key);
            byPreference.computeIfAbsent(record.preference(), p -> new ArrayList<>()).add(record);
        }
        List<MxRecord> out = new ArrayList<>();
        for (List<MxRecord> group : byPreference.values()) {
            for (int i = group.size() - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                MxRecord swap = group.get(i);
                group.set(i, group.get(j));
                group.set(j, swap);
            }
            out.addAll(group);
        }
        return List.copyOf(out);
    }
}
