package io.postern.config;

import java.nio.file.Path;

/** Per-user spools on (shared) storage. Immutable. */
public record SpoolConfig(Path root, SpoolFormat format, String layout) {
    static SpoolConfig from(ConfigNode node, Path base) {
        Path root = base.resolve(node.string("root", "var/spool"));
        SpoolFormat format = node.enumValue("format", SpoolFormat.class, SpoolFormat.MAILDIR);
        String layout = node.string("layout", "{domain}/{localpart}");
        if (!layout.contains("{localpart}")) {
            node.error("layout", "'" + layout + "' must contain {localpart}");
        }
        return new SpoolConfig(root, format, layout);
    }
}
