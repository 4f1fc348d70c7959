package io.postern.milter;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One change a milter asks for at the end of a message, in the order it asked. Immutable.
 * Header indexes follow the protocol: {@link InsertHeader#index} counts every header from 0
 * (insert before that one), {@link ChangeHeader#index} and {@link DeleteHeader#index} count the
 * headers of that name from 1. {@link MessageRewriter} applies the header and body changes; the
 * envelope changes are applied by the session to its envelope.
 */
public sealed interface Modification {
    /** The milter that asked: for logs. */
    String milter();

    record AddHeader(String milter, String name, String value) implements Modification {
        public AddHeader {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    record InsertHeader(String milter, int index, String name, String value) implements Modification {
        public InsertHeader {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    record ChangeHeader(String milter, int index, String name, String value) implements Modification {
        public ChangeHeader {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    record DeleteHeader(String milter, int index, String name) implements Modification {
        public DeleteHeader {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(name);
        }
    }

    /** The new body, CRLF line ends as the milter sent them; replaces the whole body. */
    record ReplaceBody(String milter, byte[] body) implements Modification {
        public ReplaceBody {
            Objects.requireNonNull(milter);
            body = body.clone();
        }

        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof ReplaceBody r && r.milter.equals(milter) && Arrays.equals(r.body, body);
        }

        @Override
        public int hashCode() {
            return milter.hashCode() * 31 + Arrays.hashCode(body);
        }

        @Override
        public String toString() {
            return "ReplaceBody[milter=" + milter + ", bytes=" + body.length + "]";
        }
    }

    /** {@code address} as the milter wrote it (usually in angle brackets); {@code esmtpArgs} from the v6 variant. */
    record AddRecipient(String milter, String address, Optional<String> esmtpArgs) implements Modification {
        public AddRecipient {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(address);
            Objects.requireNonNull(esmtpArgs);
        }
    }

    record DeleteRecipient(String milter, String address) implements Modification {
        public DeleteRecipient {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(address);
        }
    }

    record ChangeSender(String milter, String address, Optional<String> esmtpArgs) implements Modification {
        public ChangeSender {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(address);
            Objects.requireNonNull(esmtpArgs);
        }
    }
}
