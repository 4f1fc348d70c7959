package io.postern.config;

/** Log line format: key=value text (greppable) or one JSON object per line. */
public record LoggingConfig(Format format) {
    public enum Format { TEXT, JSON }

    static LoggingConfig from(ConfigNode node) {
        return new LoggingConfig(node.enumValue("format", Format.class, Format.TEXT));
    }
}
