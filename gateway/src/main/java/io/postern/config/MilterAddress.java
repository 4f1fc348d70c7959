package io.postern.config;

import java.nio.file.Path;
import java.util.Objects;

/** Where a milter listens: {@code inet:host:port} or {@code unix:/path}. Immutable. */
public sealed interface MilterAddress {
    record Inet(String host, int port) implements MilterAddress {
        public Inet {
            Objects.requireNonNull(host);
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("a milter needs a host and a port 1-65535");
            }
        }

        @Override
        public String toString() {
            return "inet:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    record Unix(Path path) implements MilterAddress {
        public Unix {
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("a unix socket path must be absolute");
            }
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** Parses Postfix's notation; the message of the exception is fit for a config error. */
    static MilterAddress parse(String text) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new IllegalArgumentException("'" + text + "' needs an absolute path after unix:");
            }
            return new Unix(Path.of(path));
        }
        if (text.startsWith("inet:")) {
            String rest = text.substring(5);
            int colon = rest.lastIndexOf(':');
            if (colon > 0) {
                String host = rest.substring(0, colon);
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
                String port = rest.substring(colon + 1);
                if (port.matches("\\d{1,5}") && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535
                        && host.matches("[A-Za-z0-9.:-]+")) {
                    return new Inet(host, Integer.parseInt(port));
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not inet:host:port (port 1-65535)");
        }
        throw new IllegalArgumentException("'" + text + "' must start with inet: or unix:");
    }
}
