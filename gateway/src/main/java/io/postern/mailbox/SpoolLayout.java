package io.postern.mailbox;

import io.postern.config.FileAccess;
import io.postern.config.SpoolConfig;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a mailbox's spool lives under the spool root: the configured layout (default
 * {@code {domain}/{localpart}}) filled with validated path components, or the directory's own
 * override (relative to the root). Untrusted input: every component comes from the envelope or
 * the directory, so anything that could leave the root ({@code ..}, {@code /}, NUL, control
 * characters, over-long names) is refused with {@link UnsafeSpoolPath}, never written.
 * Immutable, thread-safe; shared by delivery (writes) and POP3 (reads).
 */
public final class SpoolLayout {
    static final int MAX_COMPONENT = 255;

    private final Path root;
    private final String layout;
    private final FileAccess access;

    public SpoolLayout(SpoolConfig config) {
        this(config.root(), config.layout(), config.access());
    }

    public SpoolLayout(Path root, String layout) {
        this(root, layout, FileAccess.OWNER_ONLY);
    }

    public SpoolLayout(Path root, String layout, FileAccess access) {
        this.root = root.toAbsolutePath().normalize();
        this.layout = Objects.requireNonNull(layout);
        this.access = Objects.requireNonNull(access);
    }

    public Path root() {
        return root;
    }

    /** The mode and group every file and folder written under the root gets. */
    public FileAccess access() {
        return access;
    }

    /** The spool folder of a mailbox recipient. */
    public Path spoolOf(Recipient.Mailbox mailbox) throws UnsafeSpoolPath {
        return spoolOf(mailbox.address(), mailbox.spool());
    }

    public Path spoolOf(MailAddress address, Optional<String> directoryOverride) throws UnsafeSpoolPath {
        String relative;
        if (directoryOverride.isPresent() && !directoryOverride.get().isBlank()) {
            relative = directoryOverride.get();
        } else {
            relative = layout
                    .replace("{domain}", component(address.domain()))
                    .replace("{localpart}", component(address.localPart().toLowerCase(Locale.ROOT)));
        }
        Path resolved = root;
        for (String part : relative.split("/", -1)) {
            if (part.isEmpty()) {
                continue;
            }
            resolved = resolved.resolve(component(part));
        }
        Path normalized = resolved.normalize();
        if (!normalized.startsWith(root) || normalized.equals(root)) {
            throw new UnsafeSpoolPath("spool path '" + relative + "' leaves the spool root");
        }
        return normalized;
    }

    /** One path component, refused when it could name something other than one folder below its parent. */
    static String component(String value) throws UnsafeSpoolPath {
        if (value.isEmpty() || value.equals(".") || value.equals("..")) {
            throw new UnsafeSpoolPath("spool path component '" + value + "' is not a folder name");
        }
        if (value.length() > MAX_COMPONENT) {
            throw new UnsafeSpoolPath("spool path component longer than " + MAX_COMPONENT + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '/' || c == '\\' || c == 0 || Character.isISOControl(c)) {
                throw new UnsafeSpoolPath("spool path component '" + value + "' contains a forbidden character");
            }
        }
        return value;
    }

    /** A spool path derived from hostile or broken data: a permanent failure for that recipient. */
    public static final class UnsafeSpoolPath extends Exception {
        public UnsafeSpoolPath(String message) {
            super(message);
        }
    }
}
