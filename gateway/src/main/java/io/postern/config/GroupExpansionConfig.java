package io.postern.config;

/**
 * How group members are found. {@code IN_CHAIN} asks Active Directory for every nested member in
 * one (paged) search with the matching rule 1.2.840.113556.1.4.1941; {@code ITERATIVE} reads
 * members level by level (any server), skipping groups already seen (loops) and stopping at
 * {@code maxDepth}. More than {@code maxMembers} final members is a temporary failure, never a
 * silently shortened list. Iterative expansion reads up to {@code batchSize} members per search
 * through {@code dnAttribute} (OpenLDAP's {@code entryDN}, AD's {@code distinguishedName}); an
 * empty attribute reads members one by one. Immutable.
 */
public record GroupExpansionConfig(Strategy strategy, int maxDepth, int maxMembers, String dnAttribute, int batchSize) {

    /** The three main settings, with one-by-one member reads. */
    public GroupExpansionConfig(Strategy strategy, int maxDepth, int maxMembers) {
        this(strategy, maxDepth, maxMembers, "", 1);
    }

    public enum Strategy { IN_CHAIN, ITERATIVE }

    static GroupExpansionConfig from(ConfigNode node, DirectoryProfile profile) {
        Strategy fallback = profile == DirectoryProfile.ACTIVE_DIRECTORY ? Strategy.IN_CHAIN : Strategy.ITERATIVE;
        Strategy strategy = node.enumValue("expansion", Strategy.class, fallback);
        int maxDepth = node.integer("maxDepth", 10, 1, 100);
        int maxMembers = node.integer("maxMembers", 10_000, 1, 1_000_000);
        String dnAttribute = node.string("dnAttribute",
                profile == DirectoryProfile.ACTIVE_DIRECTORY ? "distinguishedName" : "entryDN").trim();
        if (!dnAttribute.isEmpty() && !DirectoryMapping.validAttributeName(dnAttribute)) {
            node.error("dnAttribute", "'" + dnAttribute + "' is not an attribute name");
        }
        int batchSize = node.integer("batchSize", 100, 1, 1000);
        return new GroupExpansionConfig(strategy, maxDepth, maxMembers, dnAttribute, batchSize);
    }
}
